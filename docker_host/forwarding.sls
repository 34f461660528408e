#!py
"""IP forwarding, persistent, and the firewall's routing. firewall auto: the
enabled one; in an image root, the release's when installed."""


def run():
    tplroot = sls.rsplit(".", 1)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    states = {"include": [f"{tplroot}.pillar"]}
    if formula["requisite"]["forwarding"]:
        forwarding = formula["docker_host"]["forwarding"]
        states["docker-host-forwarding-enabled"] = {
            "docker_host.forwarding": [
                {"name": "docker"},
                {"ipv4": forwarding["ipv4"]},
                {"ipv6": forwarding["ipv6"]},
                {"firewall": forwarding["firewall"]},
                {"release_firewall": forwarding["release_firewall"]},
                {"masquerade": forwarding["masquerade"]},
                {"root": formula["root"]},
                {"require": formula["requires"]["forwarding"]},
            ]
        }
    return states
