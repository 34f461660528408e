"""What the sysconfig module returns, whole: set's result keys, and describe in an
image root whose file is an absolute link."""


def test_set_returns_every_documented_key(modules, sandbox_root):
    result = modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug", root=str(sandbox_root))
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    assert set(result) == {"file", "key", "old", "new", "changed", "appended", "diff"}
    assert (result["file"], result["key"]) == (str(path), "DOCKER_OPTS")
    assert (result["old"], result["new"]) == ("", "--debug")
    assert (result["changed"], result["appended"]) == (True, False)


def test_describe_in_an_image_root_follows_an_absolute_link_inside_the_image(modules, sandbox_root):
    # /etc/sysconfig/docker.suse exists only in the image: read through the link from
    # this machine, or by the host's /etc/sysconfig/docker, describe would fail.
    sysconfig = sandbox_root / "etc" / "sysconfig"
    (sysconfig / "docker").rename(sysconfig / "docker.suse")
    (sysconfig / "docker").symlink_to("/etc/sysconfig/docker.suse")

    described = modules.sysconfig.describe("docker", "DOCKER_OPTS", root=str(sandbox_root))

    assert described["Type"] == "string"
    assert described["ServiceRestart"] == ["docker"]
