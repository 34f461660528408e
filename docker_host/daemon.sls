# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, pillar_problems, root, requisite with context %}

include:
  - {{ tplroot }}.pillar
  - {{ tplroot }}.package
  - {{ tplroot }}.users

{%- if not pillar_problems and d.daemon.manage %}
{%-   set options = d.daemon.options %}
{%-   if d.users.manage and d.users.group != 'docker' and 'group' not in d.daemon.daemon_json %}
{#-     The socket's group: set here (docker_host.users leaves it to this state), so
        that an exclusive configuration keeps it; the group exists first (require). #}
{%-     set options = salt['slsutil.merge'](options, {'group': d.users.group}) %}
{%-   endif %}

docker-host-daemon-configured:
  docker_host.daemon_configured:
    - name: docker
    - storage_driver: {{ d.daemon.storage_driver | json }}
    - data_root: {{ d.daemon.data_root | json }}
    - options: {{ options | json }}
    - daemon_json: {{ d.daemon.daemon_json | json }}
    - exclusive: {{ d.daemon.exclusive | json }}
    - root: {{ root | json }}
    - require:
{%-   for concern in ('pillar', 'package', 'users') if requisite[concern] %}
      - {{ requisite[concern] }}
{%-   endfor %}
{%- endif %}
