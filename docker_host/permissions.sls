#!py
"""CIS Docker Benchmark, section 3: owner and the loosest mode of Docker's
files, one state per file."""


def run():
    tplroot = sls.rsplit(".", 1)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    states = {
        "include": [
            f"{tplroot}.pillar",
            f"{tplroot}.package",
            f"{tplroot}.users",
            f"{tplroot}.daemon",
        ]
    }
    if formula["requisite"]["permissions"]:
        for file in formula["permissions"]:
            states[f"docker-host-permissions-{file['path']}"] = {
                "docker_host_files.permissions": [
                    {"name": file["path"]},
                    {"user": file["user"]},
                    {"group": file["group"]},
                    {"mode": file["mode"]},
                    {"root": formula["root"]},
                    {"require": formula["requires"]["permissions"]},
                ]
            }
    return states
