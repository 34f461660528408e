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
    # CIS Docker Benchmark 1.6.0, section 2 (pillar-example/README.md).
    daemon_json:
      icc: false                  # 2.2: no traffic between containers on docker0
      log-level: info             # 2.3
      iptables: true              # 2.4: Docker keeps its firewall rules
      live-restore: true          # 2.15: containers survive a daemon restart
      userland-proxy: false       # 2.16: published ports through iptables, no proxy
      no-new-privileges: true     # 2.14: no setuid escalation in containers
      log-driver: journald        # 2.13: container logs in the journal, collected centrally
{%- if userns %}
      userns-remap: default       # 2.9: container root is not host root
{%- endif %}
  users:
    members:
      - operator
    exclusive: true
  forwarding:
    ipv4: true
  permissions:
    enforce: true
