# -*- coding: utf-8 -*-
# vim: ft=sls
{#- CIS Docker Benchmark, section 3: owner and the loosest mode of Docker's files. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import root, requisite, requires, permissions with context %}

include:
  - {{ tplroot }}.pillar
  - {{ tplroot }}.package
  - {{ tplroot }}.users
  - {{ tplroot }}.daemon

{%- if requisite.permissions %}
{%-   for file in permissions %}

{#- The ID is quoted: a path can hold anything YAML would read as structure. #}
{{ ('docker-host-permissions-' ~ file.path) | json }}:
  docker_host_files.permissions:
    - name: {{ file.path | json }}
    - user: {{ file.user | json }}
    - group: {{ file.group | json }}
    - mode: {{ file.mode | json }}
    - root: {{ root | json }}
    - require: {{ requires.permissions | json }}
{%-   endfor %}
{%- endif %}
