# -*- coding: utf-8 -*-
# vim: ft=sls
# The formula's first state: with an invalid docker_host: pillar it fails and
# the formula's other SLS files render nothing, so nothing of the Docker host
# is applied. No failhard: other formulas in the same highstate still run.
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import setup_problems with context %}

docker-host-pillar-valid:
  docker_host_pillar.valid:
    - name: docker_host
    - also: {{ setup_problems | json }}
    - order: 1
