# -*- coding: utf-8 -*-
# vim: ft=sls
# A SUSE Docker host, as pillar docker_host: declares it (pillar-example/README.md).
# Each included SLS is one concern and can be applied alone.
include:
  - .pillar
  - .package
  - .daemon
  - .users
  - .forwarding
  - .permissions
  - .service
  - .images
