#!py
"""The zypper lock suse-docker-host set on the package back as it was before."""


def run():
    tplroot = sls.rsplit(".", 2)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    states = {"include": [f"{tplroot}.pillar"]}
    if formula["pillar_problems"]:
        return states
    requires = [formula["requisite"]["pillar"]]
    states["docker-host-package-clean"] = {
        "docker_host.cleaned": [
            {"name": "package"},
            {"concern": "package"},
            {"root": formula["root"]},
            {"package": formula["docker_host"]["package"]["name"]},
            {"require": requires},
        ]
    }
    return states
