# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, pillar_problems, root, requisite with context %}

include:
  - {{ tplroot }}.pillar

{%- if not pillar_problems and d.package.install %}
{%-   if root and grains['os_family'] != 'Suse' %}

docker-host-package-installed:
  test.fail_without_changes:
    - name: >-
        Installing {{ d.package.name }} into the image root {{ root }} needs zypper
        (a SUSE build host); set docker_host:package:install to false and install
        it with the image's package list
    - require:
      - docker_host_pillar: docker-host-pillar-valid
{%-   else %}

docker-host-package-installed:
  pkg.installed:
    - name: {{ d.package.name | json }}
{%-     if d.package.version %}
    - version: {{ d.package.version | json }}
{%-     endif %}
{%-     if root %}
    - root: {{ root | json }}
{%-     endif %}
    - require:
      - docker_host_pillar: docker-host-pillar-valid
{%-   endif %}
{%- endif %}
