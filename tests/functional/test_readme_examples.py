"""Documentation that cannot drift: every SLS example in README.md and
pillar-example/README.md, rendered by Salt with the README's own pillar
examples, is applied to a sandbox image root (SUSE's btrfs default layout,
the docker package's files): ``test=True`` first, then for real, then once
more, which must change nothing.

Each example runs as written, with two changes a sandbox needs: ``root`` is
added to this extension's states, so that they write the sandbox's files and
never this machine's; and ``pkg.installed``, ``service.running`` and the image
states are left out, with the requisites that name them. Those act on the
machine's package manager, its init system and a Docker daemon with a
registry, which a Debian test machine cannot stand in for; the package and
service are proven by the formula tests, the images by
tests/integration/test_images_proof.py."""

import json
import pathlib
import re
import subprocess

import pytest
import yaml

from tests import hosttrees
from tests.saltcall import REPO_ROOT, SALT_CALL, minion_config, state_apply, unconverged

pytestmark = pytest.mark.own_process

READMES = ("README.md", "pillar-example/README.md")
# States that work on an image root: they get the sandbox's.
ROOTED = {
    "docker_host.daemon_configured",
    "docker_host.forwarding",
    "docker_host.users",
    "docker_host_files.permissions",
    "sysconfig.present",
}
LEFT_OUT = {"pkg", "service", "docker_host.image_loaded", "docker_host.image_present"}


def _blocks():
    for readme in READMES:
        text = (pathlib.Path(REPO_ROOT) / readme).read_text()
        for match in re.finditer(r"```yaml\n(.*?)```", text, re.S):
            line = text[: match.start()].count("\n") + 2
            yield f"{readme}:{line}", match.group(1)


def _is_pillar(block):
    return re.match(r"(docker_host|registries):\n", block) is not None


def _is_sls(block):
    """A block with state declarations: an ID whose value names module.function."""
    return re.search(r"^\S[^\n]*:\n  [a-z_]+\.[a-z_]+:", block, re.M) is not None


SLS_EXAMPLES = [(where, block) for where, block in _blocks() if _is_sls(block)]


def _readme_pillar():
    pillar = {}
    for _, block in _blocks():
        if _is_pillar(block):
            pillar.update(yaml.safe_load(block))
    return pillar


@pytest.fixture
def image(tmp_path):
    """SUSE's default btrfs root (a real mountinfo capture) with the docker package's
    files, SuSEfirewall2's sysconfig and an os-release."""
    tree = hosttrees.btrfs_snapper(tmp_path / "root")
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    tree.copy("susefirewall2/SuSEfirewall2.sysconfig", "/etc/sysconfig/SuSEfirewall2")
    tree.copy("os-release/sles-15-sp6.os-release", "/etc/os-release")
    tree.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
    tree.write("/etc/group", "root:x:0:\nusers:x:100:\n")
    tree.write("/etc/gshadow", "root:!::\nusers:!::\n", mode=0o640)
    return tree


def _render(tmp_path, block, pillar):
    """The example as Salt renders it (Jinja, then YAML) with ``pillar``."""
    (tmp_path / "render").mkdir()
    config = minion_config(tmp_path / "render", pillar=pillar)
    source = tmp_path / "render" / "example.sls"
    source.write_text(block)
    result = subprocess.run(
        [
            SALT_CALL,
            "--local",
            f"--config-dir={config}",
            "--out=json",
            "slsutil.renderer",
            f"path={source}",
            "default_renderer=jinja|yaml",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)["local"]


def _sandboxed(data, root):
    """The rendered example with ``root`` given to this extension's states, and the
    states a sandbox cannot hold (see the module doc) left out, with their requisites."""
    kept, dropped = {}, set()
    for state_id, states in data.items():
        for module, arguments in states.items():
            name = module.split(".", 1)[0]
            if module in LEFT_OUT or name in LEFT_OUT:
                dropped.add((name, state_id))
                continue
            extra = [{"root": str(root)}] if module in ROOTED else []
            kept.setdefault(state_id, {})[module] = [*arguments, *extra]
    for states in kept.values():
        for module, arguments in states.items():
            cleaned = []
            for argument in arguments:
                key = next(iter(argument))
                if key not in ("require", "watch", "onchanges", "listen"):
                    cleaned.append(argument)
                    continue
                targets = [t for t in argument[key] if next(iter(t.items())) not in dropped]
                if targets:
                    cleaned.append({key: targets})
            states[module] = cleaned
    return kept


def test_the_readmes_hold_the_examples_this_test_applies():
    places = [where for where, _ in SLS_EXAMPLES]
    assert len(places) >= 6, places
    assert any(where.startswith("pillar-example/") for where in places)
    pillar = _readme_pillar()
    assert set(pillar) == {"docker_host", "registries"}


@pytest.mark.parametrize(("where", "block"), SLS_EXAMPLES, ids=[w for w, _ in SLS_EXAMPLES])
def test_every_sls_example_applies_as_predicted_and_settles(tmp_path, image, where, block):
    pillar = _readme_pillar()
    rendered = _render(tmp_path, block, pillar)
    assert isinstance(rendered, dict) and rendered, rendered
    sls = _sandboxed(rendered, image.root)
    if not sls:
        # The images example: rendered (its Jinja and pillar lookups work); its
        # states need a daemon and a registry (see the module doc).
        modules = {module for states in rendered.values() for module in states}
        assert modules <= LEFT_OUT, modules
        return
    tree = tmp_path / "file-roots"
    tree.mkdir()
    (tree / "example.sls").write_text(yaml.safe_dump(sls))

    code, predicted, _ = state_apply(tmp_path, "example", pillar, test=True, file_roots=tree)
    assert code == 0, predicted
    assert all(state["result"] in (True, None) for state in predicted.values()), predicted
    code, applied, _ = state_apply(tmp_path, "example", pillar, file_roots=tree)
    assert code == 0, applied
    assert all(state["result"] is True for state in applied.values()), applied
    assert {k: s["changes"] for k, s in applied.items()} == {
        k: s["changes"] for k, s in predicted.items()
    }
    assert set(applied) == set(sls)  # every state of the example ran
    code, again, _ = state_apply(tmp_path, "example", pillar, file_roots=tree)
    assert code == 0 and unconverged(again) == {}, again
