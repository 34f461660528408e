# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, root, requisite, requires,
    daemon_options with context %}

include:
  - {{ tplroot }}.pillar
  - {{ tplroot }}.package
  - {{ tplroot }}.users

{%- if requisite.daemon %}

{#- After the group exists: the options name it when it is not docker. #}
docker-host-daemon-configured:
  docker_host.daemon_configured:
    - name: docker
    - storage_driver: {{ d.daemon.storage_driver | json }}
    - data_root: {{ d.daemon.data_root | json }}
    - options: {{ daemon_options | json }}
    - daemon_json: {{ d.daemon.daemon_json | json }}
    - exclusive: {{ d.daemon.exclusive | json }}
    - root: {{ root | json }}
    - require: {{ requires.daemon | json }}
{%- endif %}
