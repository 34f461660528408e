# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, root, requisite, requires with context %}

include:
  - {{ tplroot }}.pillar
  - {{ tplroot }}.package

{%- if requisite.users %}

{#- After the package, which creates the group. With the daemon managed,
    daemon.sls names the socket's group (socket: false). #}
docker-host-users:
  docker_host.users:
    - name: {{ d.users.group | json }}
    - users: {{ d.users.members | json }}
    - exclusive: {{ d.users.exclusive | json }}
    - gid: {{ d.users.gid | json }}
    - root: {{ root | json }}
    - socket: {{ (not d.daemon.manage) | json }}
    - require: {{ requires.users | json }}
{%- endif %}
