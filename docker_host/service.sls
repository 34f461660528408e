# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, root, requisite, requires with context %}

include:
  - {{ tplroot }}.pillar
  - {{ tplroot }}.package
  - {{ tplroot }}.users
  - {{ tplroot }}.daemon
  - {{ tplroot }}.forwarding
  - {{ tplroot }}.permissions

{%- if requisite.service and root %}

{#- In an image root the service cannot run: it is enabled, and starts when the image boots. #}
docker-host-service-enabled:
  docker_host_service.enabled_in_root:
    - name: {{ d.service.name | json }}
    - root: {{ root | json }}
    - require: {{ requires.service | json }}
{%- elif requisite.service %}

{#- Configuration is in place before docker first starts (require), and a
    change to it restarts the daemon (watch); nothing else does. #}
docker-host-service-running:
  service.running:
    - name: {{ d.service.name | json }}
    - enable: true
    - require: {{ requires.service | json }}
{%-   if requires.service_watch %}
    - watch: {{ requires.service_watch | json }}
{%-   endif %}
{%- endif %}
