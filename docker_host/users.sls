# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, pillar_problems, root, requisite with context %}

include:
  - {{ tplroot }}.pillar
  - {{ tplroot }}.daemon

{%- if not pillar_problems and d.users.manage %}

docker-host-users:
  docker_host.users:
    - name: {{ d.users.group | json }}
    - users: {{ d.users.members | json }}
    - exclusive: {{ d.users.exclusive | json }}
    - gid: {{ d.users.gid | json }}
    - root: {{ root | json }}
    {#- the package creates the group; the daemon's configuration names it #}
    - require:
{%-   for concern in ('pillar', 'package', 'daemon') if requisite[concern] %}
      - {{ requisite[concern] }}
{%-   endfor %}
{%- endif %}
