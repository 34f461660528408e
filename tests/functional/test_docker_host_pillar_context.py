"""docker_host_pillar.remember and remembered: what map.jinja keeps for one run."""


def test_remembered_gives_back_what_remember_kept_in_this_run(modules):
    pillar = modules.docker_host_pillar
    assert pillar.remembered("docker_host:base") is None
    assert pillar.remember("docker_host:base", {"root": "/srv/image"}) == ""
    assert pillar.remember("docker_host:prod", {"root": ""}) == ""
    assert pillar.remembered("docker_host:base") == {"root": "/srv/image"}
    assert pillar.remembered("docker_host:prod") == {"root": ""}
    assert pillar.remembered("docker_host:dev") is None
    pillar.remember("docker_host:base", {"root": "/other"})
    assert pillar.remembered("docker_host:base") == {"root": "/other"}
