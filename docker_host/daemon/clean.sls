#!py
"""DOCKER_OPTS, daemon.json, the TLS files and the proxy drop-in back as they
were before suse-docker-host, after the service stopped."""


def run():
    tplroot = sls.rsplit(".", 2)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    states = {"include": [f"{tplroot}.pillar", f"{tplroot}.service.clean"]}
    if formula["pillar_problems"]:
        return states
    requires = [
        formula["requisite"]["pillar"],
        {"docker_host_service": "docker-host-service-clean"},
    ]
    states["docker-host-daemon-clean"] = {
        "docker_host.cleaned": [
            {"name": "daemon"},
            {"concern": "daemon"},
            {"root": formula["root"]},
            {"require": requires},
        ]
    }
    return states
