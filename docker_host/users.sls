#!py
"""The docker group and its members. After the package, which creates the
group. With the daemon managed, daemon.sls names the socket's group
(socket: false)."""


def run():
    tplroot = sls.rsplit(".", 1)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    states = {"include": [f"{tplroot}.pillar", f"{tplroot}.package"]}
    if formula["requisite"]["users"]:
        docker_host = formula["docker_host"]
        users = docker_host["users"]
        states["docker-host-users"] = {
            "docker_host.users": [
                {"name": users["group"]},
                {"users": users["members"]},
                {"exclusive": users["exclusive"]},
                {"gid": users["gid"]},
                {"root": formula["root"]},
                {"socket": not docker_host["daemon"]["manage"]},
                # SUSE's docker package creates the docker group at install.
                {
                    "package": docker_host["package"]["name"]
                    if formula["requisite"]["package"] and users["group"] == "docker"
                    else None
                },
                {"require": formula["requires"]["users"]},
            ]
        }
    return states
