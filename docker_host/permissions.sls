# -*- coding: utf-8 -*-
# vim: ft=sls
{#- CIS Docker Benchmark, section 3: owner and the loosest mode of Docker's files. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, pillar_problems, root, requisite with context %}

include:
  - {{ tplroot }}.pillar
  - {{ tplroot }}.package
  - {{ tplroot }}.daemon
  - {{ tplroot }}.users

{%- if not pillar_problems and d.permissions.enforce %}
{%-   for path, spec in d.permissions.paths | dictsort %}
{%-     if spec %}
{%-       set group = spec.get('group', 'root') %}
{%-       if path in ('/var/run/docker.sock', '/run/docker.sock') and group == 'docker' %}
{%-         set group = d.users.group %}
{%-       endif %}

{#- The ID is quoted: a path can hold anything YAML would read as structure. #}
{{ ('docker-host-permissions-' ~ path) | json }}:
  docker_host_files.permissions:
    - name: {{ path | json }}
    - user: {{ spec.get('user', 'root') | json }}
    - group: {{ group | json }}
    - mode: {{ spec.get('mode', '0644') | json }}
    - root: {{ root | json }}
    - require:
{%-       for concern in ('pillar', 'package', 'daemon', 'users') if requisite[concern] %}
      - {{ requisite[concern] }}
{%-       endfor %}
{%-     endif %}
{%-   endfor %}
{%- endif %}
