# -*- coding: utf-8 -*-
# vim: ft=sls
# Takes the Docker host back down: the service stops and is disabled, and each
# concern's changes, as suse-docker-host recorded them, go back to what was
# there before. Each included SLS is one concern's clean and can be applied alone.
include:
  - .service.clean
  - .daemon.clean
  - .users.clean
  - .forwarding.clean
  - .package.clean
