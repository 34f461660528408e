{#- The docker_host beacon's drift events (salt/beacon/<minion>/docker_host/drift/<concern>):
    re-apply only the concern's SLS on the minion that drifted, at most once per
    cooldown for each minion and concern (docker_host_heal.repair keeps the time;
    the master's option docker_host_heal_cooldown, 300 s unless set). #}
{%- set event = data.get('data', data) %}
docker-host-heal-{{ event['concern'] }}:
  runner.docker_host_heal.repair:
    - args:
      - minion: {{ data['id'] | json }}
      - concern: {{ event['concern'] | json }}
      - sls: {{ event['sls'] | json }}
      - repeat: {{ event.get('repeat', False) | json }}
