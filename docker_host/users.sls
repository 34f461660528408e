# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, pillar_problems, root, requisite with context %}

include:
  - {{ tplroot }}.pillar
  - {{ tplroot }}.package

{%- if not pillar_problems and d.users.manage %}

docker-host-users:
  docker_host.users:
    - name: {{ d.users.group | json }}
    - users: {{ d.users.members | json }}
    - exclusive: {{ d.users.exclusive | json }}
    - gid: {{ d.users.gid | json }}
    - root: {{ root | json }}
    {#- With the daemon managed, daemon.sls names the socket's group. #}
    - socket: {{ (not d.daemon.manage) | json }}
    {#- The package creates the group. #}
    - require:
{%-   for concern in ('pillar', 'package') if requisite[concern] %}
      - {{ requisite[concern] }}
{%-   endfor %}
{%- endif %}
