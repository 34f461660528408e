#!py
"""The docker service stopped and disabled (in an image root: disabled)."""


def run():
    tplroot = sls.rsplit(".", 2)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    states = {"include": [f"{tplroot}.pillar"]}
    if formula["pillar_problems"]:
        return states
    name = formula["docker_host"]["service"]["name"]
    if formula["root"]:
        states["docker-host-service-clean"] = {
            "docker_host_service.disabled_in_root": [
                {"name": name},
                {"root": formula["root"]},
                {"require": [formula["requisite"]["pillar"]]},
            ]
        }
    else:
        states["docker-host-service-clean"] = {
            "docker_host_service.dead": [
                {"name": name},
                {"require": [formula["requisite"]["pillar"]]},
            ]
        }
    return states
