# -*- coding: utf-8 -*-
# vim: ft=sls
# The formula's first state: an invalid docker_host: pillar stops the run on
# this minion before anything is applied.
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import setup_problems with context %}

docker-host-pillar-valid:
  docker_host_pillar.valid:
    - name: docker_host
    - also: {{ setup_problems | json }}
    - order: 1
    - failhard: true
