#!py
"""Images loaded from archives and pulled from registries, once the service
runs."""


def run():
    tplroot = sls.rsplit(".", 1)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    states = {"include": [f"{tplroot}.pillar", f"{tplroot}.service"]}
    images, root = formula["docker_host"]["images"], formula["root"]
    if formula["pillar_problems"] or not (images["load"] or images["pull"]):
        return states
    if root and not images["url"]:
        # Under an image root the host's daemon is not the image's: load
        # nothing unless a daemon is named.
        states["docker-host-images-not-loaded-in-root"] = {
            "test.show_notification": [
                {
                    "text": f"docker_host:images is not applied under the image root {root}: "
                    "set docker_host:images:url to the daemon that should get the images"
                }
            ]
        }
        return states
    requires = formula["requires"]["images"]
    for image in images["load"]:
        states[f"docker-host-image-loaded-{image['name']}"] = {
            "docker_host.image_loaded": [
                {"name": image["name"]},
                {"source": image["source"]},
                {"url": images["url"]},
                {"require": requires},
            ]
        }
    for image in images["pull"]:
        states[f"docker-host-image-pulled-{image['name']}"] = {
            "docker_host.image_present": [
                {"name": image["name"]},
                {"force": image.get("force", False)},
                {"timeout": image.get("timeout", 60)},
                {"auth": image.get("auth")},
                {"url": images["url"]},
                {"require": requires},
            ]
        }
    return states
