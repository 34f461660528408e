# -*- coding: utf-8 -*-
# vim: ft=sls
# The formula's first state: an invalid docker_host: pillar stops the run on
# this minion before anything is applied.
docker-host-pillar-valid:
  docker_host_pillar.valid:
    - name: docker_host
    - order: 1
    - failhard: true
