#!py
"""The docker package, through pkg.installed (docker_host_package.installed
adds the version to test=True's prediction), and its zypper lock when
package:hold is set. On SUSE, zypper installs into an image root too
(pkg.installed's root)."""


def run():
    tplroot = sls.rsplit(".", 1)[0]
    if "docker_host_map.data" not in __salt__:  # not synced: pillar.sls says so
        return {"include": [f"{tplroot}.pillar"]}
    formula = __salt__["docker_host_map.data"](tplroot, saltenv)
    states = {"include": [f"{tplroot}.pillar"]}
    if formula["requisite"]["package"]:
        package = formula["docker_host"]["package"]
        args = [{"name": package["name"]}]
        if package["version"]:
            args.append({"version": package["version"]})
        if formula["root"]:
            args.append({"root": formula["root"]})
        args.append({"require": formula["requires"]["package"]})
        states["docker-host-package-installed"] = {"docker_host_package.installed": args}
    package = formula["docker_host"]["package"]
    if package["hold"] is not None:
        # After the install: zypper refuses to install a locked package.
        requires = list(formula["requires"]["package"])
        if formula["requisite"]["package"]:
            requires.append(formula["requisite"]["package"])
        states["docker-host-package-held"] = {
            "docker_host_package.held": [
                {"name": package["name"]},
                {"version": package["version"]},
                {"hold": package["hold"]},
                {"root": formula["root"]},
                {"require": requires},
            ]
        }
    return states
