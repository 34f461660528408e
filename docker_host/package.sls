# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, pillar_problems, root with context %}

{#- On SUSE, zypper installs into an image root too (pkg.installed's root). #}
include:
  - {{ tplroot }}.pillar

{%- if not pillar_problems and d.package.install %}

docker-host-package-installed:
  pkg.installed:
    - name: {{ d.package.name | json }}
{%-   if d.package.version %}
    - version: {{ d.package.version | json }}
{%-   endif %}
{%-   if root %}
    - root: {{ root | json }}
{%-   endif %}
    - require:
      - docker_host_pillar: docker-host-pillar-valid
{%- endif %}
