# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, root, requisite, requires,
    firewall with context %}

include:
  - {{ tplroot }}.pillar

{%- if requisite.forwarding %}

{#- firewall: as pillar says; auto in an image root is resolved in mapdata.jinja. #}
docker-host-forwarding-enabled:
  docker_host.forwarding:
    - name: docker
    - ipv4: {{ d.forwarding.ipv4 | json }}
    - ipv6: {{ d.forwarding.ipv6 | json }}
    - firewall: {{ firewall | json }}
    - masquerade: {{ d.forwarding.masquerade | json }}
    - root: {{ root | json }}
    - require: {{ requires.forwarding | json }}
{%- endif %}
