#!py
"""
The formula's first state: with an invalid docker_host: pillar it fails and
the formula's other SLS files render nothing, so nothing of the Docker host
is applied. No failhard: other formulas in the same highstate still run.
"""

NOT_LOADED = (
    "the suse-docker-host modules are not loaded on this minion: sync them "
    "(salt '<minion>' saltutil.sync_all; with salt-call --local, saltutil.sync_all "
    "with the same --file-root) or pip install the package into Salt's Python"
)


def run():
    tplroot = sls.rsplit(".", 1)[0]
    if "docker_host_map.data" not in __salt__:
        return {
            "docker-host-pillar-valid": {
                "test.fail_without_changes": [{"name": NOT_LOADED}, {"order": 1}]
            }
        }
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    return {
        "docker-host-pillar-valid": {
            "docker_host_pillar.valid": [
                {"name": "docker_host"},
                {"also": formula["setup_problems"]},
                {"order": 1},
            ]
        }
    }
