#!py
"""The members suse-docker-host added to the docker group leave it, those it
removed come back, a group it created goes."""


def run():
    tplroot = sls.rsplit(".", 2)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    states = {"include": [f"{tplroot}.pillar"]}
    if formula["pillar_problems"]:
        return states
    requires = [formula["requisite"]["pillar"]]
    states["docker-host-users-clean"] = {
        "docker_host.cleaned": [
            {"name": "users"},
            {"concern": "users"},
            {"root": formula["root"]},
            {"group": formula["docker_host"]["users"]["group"]},
            {"require": requires},
        ]
    }
    return states
