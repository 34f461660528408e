# -*- coding: utf-8 -*-
# vim: ft=sls
# Which profile each minion gets: by minion id, or by the grain roles.
# A minion that matches none gets the formula's defaults.
base:
  'dev-*':
    - docker_host.dev
  'prod-*':
    - docker_host.prod
  'roles:docker-build-host':
    - match: grain
    - docker_host.build-host
