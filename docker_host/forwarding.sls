# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, root, requisite, requires
    with context %}

include:
  - {{ tplroot }}.pillar

{%- if requisite.forwarding %}

{#- firewall auto: the enabled one; in an image root, the release's when installed. #}
docker-host-forwarding-enabled:
  docker_host.forwarding:
    - name: docker
    - ipv4: {{ d.forwarding.ipv4 | json }}
    - ipv6: {{ d.forwarding.ipv6 | json }}
    - firewall: {{ d.forwarding.firewall | json }}
    - release_firewall: {{ d.forwarding.release_firewall | json }}
    - masquerade: {{ d.forwarding.masquerade | json }}
    - root: {{ root | json }}
    - require: {{ requires.forwarding | json }}
{%- endif %}
