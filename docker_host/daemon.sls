# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, root, requisite, requires
    with context %}

include:
  - {{ tplroot }}.pillar
  - {{ tplroot }}.package
  - {{ tplroot }}.users

{%- if requisite.daemon %}

{#- After the group exists: the daemon's socket belongs to users:group. #}
docker-host-daemon-configured:
  docker_host.daemon_configured:
    - name: docker
    - storage_driver: {{ d.daemon.storage_driver | json }}
    - data_root: {{ d.daemon.data_root | json }}
    - options: {{ d.daemon.options | json }}
    - daemon_json: {{ d.daemon.daemon_json | json }}
    - exclusive: {{ d.daemon.exclusive | json }}
    - root: {{ root | json }}
    - socket_group: {{ (d.users.group if d.users.manage else none) | json }}
    - require: {{ requires.daemon | json }}
{%- endif %}
