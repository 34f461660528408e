# -*- coding: utf-8 -*-
# vim: ft=sls
# Development hosts: the storage driver the data-root's filesystem suits best,
# a few developers in the docker group (each must exist), forwarding on.
docker_host:
  daemon:
    storage_driver: auto
    options:
      log-level: warn
    daemon_json:
      log-driver: json-file
      log-opts:
        max-size: 10m
        max-file: '3'
  users:
    members:
      - alice
      - bob
  forwarding:
    ipv4: true
