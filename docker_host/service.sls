#!py
"""The docker service. On the running system its configuration is in place
before docker first starts (require), and a change to it restarts the daemon
(watch); nothing else does. docker_host_service.running is Salt's
service.running with a test=True prediction that names the start, enable or
restart to come. In an image root the service cannot run: it is enabled, and
starts when the image boots."""


def run():
    tplroot = sls.rsplit(".", 1)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    concerns = ("pillar", "package", "users", "daemon", "forwarding", "permissions")
    states = {"include": [f"{tplroot}.{concern}" for concern in concerns]}
    if not formula["requisite"]["service"]:
        return states
    name, requires = formula["docker_host"]["service"]["name"], formula["requires"]
    if formula["root"]:
        states["docker-host-service-enabled"] = {
            "docker_host_service.enabled_in_root": [
                {"name": name},
                {"root": formula["root"]},
                {"require": requires["service"]},
            ]
        }
    else:
        args = [{"name": name}, {"enable": True}, {"require": requires["service"]}]
        if requires["service_watch"]:
            args.append({"watch": requires["service_watch"]})
        states["docker-host-service-running"] = {"docker_host_service.running": args}
    return states
