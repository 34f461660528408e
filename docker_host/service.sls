# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, pillar_problems, root, requisite with context %}

include:
  - {{ tplroot }}.pillar
  - {{ tplroot }}.package
  - {{ tplroot }}.daemon
  - {{ tplroot }}.users
  - {{ tplroot }}.forwarding

{%- if not pillar_problems and d.service.manage %}
{%-   if root %}

{#- In an image root the service cannot run: it is enabled, and starts when the image boots. #}
docker-host-service-enabled:
  docker_host_service.enabled_in_root:
    - name: {{ d.service.name | json }}
    - root: {{ root | json }}
    - require:
{%-     for concern in ('pillar', 'package', 'daemon', 'users', 'forwarding') if requisite[concern] %}
      - {{ requisite[concern] }}
{%-     endfor %}
{%-   else %}

{#- Configuration is in place before docker first starts (require), and a
    change to it restarts the daemon (watch); nothing else does. #}
docker-host-service-running:
  service.running:
    - name: {{ d.service.name | json }}
    - enable: true
    - require:
{%-     for concern in ('pillar', 'users', 'forwarding') if requisite[concern] %}
      - {{ requisite[concern] }}
{%-     endfor %}
    {#- Members joining or leaving need no restart; the socket's group does, and it
        is the users state's only when the daemon's configuration is not managed. #}
{%-     set watched = [] %}
{%-     set socket_by_users = not d.daemon.manage and d.users.group != 'docker' %}
{%-     for concern in ['package', 'daemon'] + (['users'] if socket_by_users else [])
            if requisite[concern] %}
{%-       do watched.append(requisite[concern]) %}
{%-     endfor %}
{%-     if watched %}
    - watch:
{%-       for item in watched %}
      - {{ item }}
{%-       endfor %}
{%-     endif %}
{%-   endif %}
{%- endif %}
