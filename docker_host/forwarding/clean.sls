#!py
"""Forwarding's sysctl.d file, IP_FORWARD, FW_ROUTE and FW_MASQUERADE back as
they were before suse-docker-host. The running kernel keeps forwarding."""


def run():
    tplroot = sls.rsplit(".", 2)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    states = {"include": [f"{tplroot}.pillar"]}
    if formula["pillar_problems"]:
        return states
    requires = [formula["requisite"]["pillar"]]
    states["docker-host-forwarding-clean"] = {
        "docker_host.cleaned": [
            {"name": "forwarding"},
            {"concern": "forwarding"},
            {"root": formula["root"]},
            {"require": requires},
        ]
    }
    return states
