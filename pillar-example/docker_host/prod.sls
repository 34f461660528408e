# -*- coding: utf-8 -*-
# vim: ft=sls
{#- Production hosts: btrfs (SUSE's root filesystem, with /var/lib/docker
    on it), only the named operators in the docker group, and the daemon
    hardened along the CIS Docker Benchmark: its section 2 (daemon
    configuration) in daemon.json, its section 3 (file permissions) through
    docker_host:permissions. User namespaces only where the host's kernel
    has them, as the docker_host grain reports. #}
{#- Pillar renders on the master: the minion's grains are in `grains`. #}
{%- set userns = grains.get('docker_host', {}).get('namespaces', {}).get('user', False) %}
docker_host:
  daemon:
    storage_driver: btrfs
    data_root: /var/lib/docker
    # Own the whole configuration: hand-made changes are removed.
    exclusive: true
    daemon_json:
      icc: false                  # no traffic between containers on docker0
      log-level: info
      iptables: true              # Docker keeps its firewall rules
      live-restore: true          # containers survive a daemon restart
      userland-proxy: false       # published ports through iptables, no proxy
      no-new-privileges: true     # no setuid escalation in containers
      log-driver: json-file       # rotated, for a log shipper
      log-opts:
        max-size: 10m
        max-file: '5'
{%- if userns %}
      userns-remap: default       # container root is not host root
{%- endif %}
  users:
    members:
      - operator
    exclusive: true
  forwarding:
    ipv4: true
  permissions:
    enforce: true
