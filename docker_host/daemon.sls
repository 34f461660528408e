#!py
"""DOCKER_OPTS, daemon.json and the socket's group. After the group exists:
the daemon's socket belongs to users:group."""


def run():
    tplroot = sls.rsplit(".", 1)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    states = {"include": [f"{tplroot}.pillar", f"{tplroot}.package", f"{tplroot}.users"]}
    if formula["requisite"]["daemon"]:
        docker_host = formula["docker_host"]
        daemon, users = docker_host["daemon"], docker_host["users"]
        states["docker-host-daemon-configured"] = {
            "docker_host.daemon_configured": [
                {"name": "docker"},
                {"storage_driver": daemon["storage_driver"]},
                {"data_root": daemon["data_root"]},
                {"options": daemon["options"]},
                {"daemon_json": daemon["daemon_json"]},
                {"exclusive": daemon["exclusive"]},
                {"tls": daemon["tls"]},
                {"insecure_tcp_api": daemon["insecure_tcp_api"]},
                {"proxy": docker_host["proxy"]},
                {"root": formula["root"]},
                {"socket_group": users["group"] if users["manage"] else None},
                # The package creates both files: installed first, in this run.
                {
                    "package": formula["docker_host"]["package"]["name"]
                    if formula["requisite"]["package"]
                    else None
                },
                {"require": formula["requires"]["daemon"]},
            ]
        }
    return states
