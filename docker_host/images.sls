# -*- coding: utf-8 -*-
# vim: ft=sls
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import docker_host as d, pillar_problems, root, requires with context %}

include:
  - {{ tplroot }}.pillar
  - {{ tplroot }}.service

{%- if not pillar_problems and (d.images.load or d.images.pull) %}
{%-   if root and not d.images.url %}

{#- Under an image root the host's daemon is not the image's: load nothing
    unless a daemon is named. #}
docker-host-images-not-loaded-in-root:
  test.show_notification:
    - text: {{ ('docker_host:images is not applied under the image root ' ~ root
                ~ ': set docker_host:images:url to the daemon that should get the images')
               | json }}
{%-   else %}
{%-     for image in d.images.load %}

{{ ('docker-host-image-loaded-' ~ image.name) | json }}:
  docker_host.image_loaded:
    - name: {{ image.name | json }}
    - source: {{ image.source | json }}
    - url: {{ d.images.url | json }}
    - require: {{ requires.images | json }}
{%-     endfor %}
{%-     for image in d.images.pull %}

{{ ('docker-host-image-pulled-' ~ image.name) | json }}:
  docker_host.image_present:
    - name: {{ image.name | json }}
    - force: {{ image.get('force', False) | json }}
    - timeout: {{ image.get('timeout', 60) | json }}
    - auth: {{ image.get('auth') | json }}
    - url: {{ d.images.url | json }}
    - require: {{ requires.images | json }}
{%-     endfor %}
{%-   endif %}
{%- endif %}
