#!py
"""
The formula's first state: with an invalid docker_host: pillar it fails and
the formula's other SLS files render nothing, so nothing of the Docker host
is applied. No failhard: other formulas in the same highstate still run.
"""


def run():
    tplroot = sls.rsplit(".", 1)[0]
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
