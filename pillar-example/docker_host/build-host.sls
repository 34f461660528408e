# -*- coding: utf-8 -*-
# vim: ft=sls
# Hosts that build images: the base images KIWI built, loaded into the
# daemon (from the master's file_roots), and a registry image to build on.
docker_host:
  daemon:
    storage_driver: auto
  users:
    members:
      - builder
  images:
    load:
      - name: suse/sles15-base:latest
        source: salt://images/sles15-base.x86_64.docker.tar.xz
    pull:
      - name: registry.suse.com/bci/bci-base:15.6
        timeout: 300
