# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, pillar_problems, root, requisite with context %}

include:
  - {{ tplroot }}.pillar

{%- if not pillar_problems and d.forwarding.manage %}
{%-   set firewall = d.forwarding.firewall %}
{%-   if firewall == 'auto' and root %}
{#-     An image root being built has its firewall installed but usually not
        enabled yet: configure the release's firewall when it is there. #}
{%-     set enabled = salt['docker_host.facts'](root=root).get('network', {}).get('firewall') %}
{%-     set marker = {'SuSEfirewall2': '/etc/sysconfig/SuSEfirewall2',
                      'firewalld': '/usr/sbin/firewalld'}[d.forwarding.release_firewall] %}
{%-     if enabled %}
{%-       set firewall = enabled %}
{%-     elif salt['docker_host.exists'](marker, root=root) %}
{%-       set firewall = d.forwarding.release_firewall %}
{%-     endif %}
{%-   endif %}

docker-host-forwarding-enabled:
  docker_host.forwarding:
    - name: docker
    - ipv4: {{ d.forwarding.ipv4 | json }}
    - ipv6: {{ d.forwarding.ipv6 | json }}
    - firewall: {{ firewall | json }}
    - masquerade: {{ d.forwarding.masquerade | json }}
    - root: {{ root | json }}
    - require:
      - docker_host_pillar: docker-host-pillar-valid
{%- endif %}
