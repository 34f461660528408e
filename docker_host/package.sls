# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, root, requisite, requires with context %}

{#- On SUSE, zypper installs into an image root too (pkg.installed's root). #}
include:
  - {{ tplroot }}.pillar

{%- if requisite.package %}

docker-host-package-installed:
  pkg.installed:
    - name: {{ d.package.name | json }}
{%-   if d.package.version %}
    - version: {{ d.package.version | json }}
{%-   endif %}
{%-   if root %}
    - root: {{ root | json }}
{%-   endif %}
    - require: {{ requires.package | json }}
{%- endif %}
