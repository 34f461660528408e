"""docker_proxy: SUSE's /etc/sysconfig/proxy (the real template from aaa_base),
explicit URLs, and where the proxy goes for the target's engine. A real
dockerd pulls through a proxy with what it writes in
tests/integration/test_proxy_proof.py."""

import contextlib

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests import hosttrees
from tests.unit.conftest import _load, values_salt

DROP_IN = "/etc/systemd/system/docker.service.d/90-docker-host-proxy.conf"


@pytest.fixture
def proxy(sysconfig_mod):
    module = _load("_modules/docker_proxy.py")
    sysconfig = sysconfig_mod
    files = _load("_modules/docker_host_files.py")
    files.__salt__ = {"sysconfig.image_root": sysconfig.image_root}
    module.__salt__ = {
        **values_salt(),
        "sysconfig.get": sysconfig.get,
        "sysconfig.resolve": sysconfig.resolve,
        "sysconfig.image_root": sysconfig.image_root,
        "docker_host_files.read_text": files.read_text,
        "docker_host_files.write_atomic": files.write_atomic,
        "docker_host_files.remove": files.remove,
        # What the writes record is tested through the loader
        # (tests/functional/test_host_record.py).
        "docker_host_record.recording": lambda *args, **kwargs: contextlib.nullcontext(),
    }
    return module


@pytest.fixture
def suse(tmp_path, sysconfig_mod):
    """A root with SUSE's /etc/sysconfig/proxy template."""
    tree = hosttrees.Tree(tmp_path / "root")
    tree.copy("sysconfig-examples/sysconfig.proxy", "/etc/sysconfig/proxy")
    return tree


def _set(tree, sysconfig_mod, **values):
    for name, value in values.items():
        sysconfig_mod.set_("/etc/sysconfig/proxy", name, value, root=str(tree.root))


def test_system_reads_suses_file_only_when_the_proxy_is_enabled(proxy, suse, sysconfig_mod):
    root = str(suse.root)
    assert proxy.settings("system", root=root) == {}  # the template: PROXY_ENABLED="no"
    _set(suse, sysconfig_mod, HTTP_PROXY="http://proxy.example.com:3128/",
         HTTPS_PROXY="http://proxy.example.com:3128/")  # fmt: skip
    assert proxy.settings("system", root=root) == {}
    _set(suse, sysconfig_mod, PROXY_ENABLED="yes")
    assert proxy.settings("system", root=root) == {
        "http-proxy": "http://proxy.example.com:3128/",
        "https-proxy": "http://proxy.example.com:3128/",
        "no-proxy": "localhost,127.0.0.1",
    }
    _set(suse, sysconfig_mod, HTTP_PROXY="proxy.example.com:3128")
    with pytest.raises(CommandExecutionError) as wrong:
        proxy.settings("system", root=root)
    assert str(wrong.value).startswith("HTTP_PROXY in /etc/sysconfig/proxy: http-proxy ")
    assert str(wrong.value).endswith(": fix it with YaST")


def test_system_without_suses_file_says_so(proxy, tmp_path):
    with pytest.raises(CommandExecutionError) as missing:
        proxy.settings("system", root=str(tmp_path))
    assert "proxy: system reads /etc/sysconfig/proxy, which does not exist" in str(missing.value)


@pytest.mark.parametrize(
    "given, problems",
    [
        ("system", []),
        ("none", []),
        ({"https_proxy": "http://p.example.com:3128", "no_proxy": ".example.com"}, []),
        ("off", ["proxy must be system, none or a mapping of http_proxy, https_proxy, "
                 "no_proxy, not 'off'"]),
        ({"http-proxy": "http://p:3128"},
         ["proxy:http-proxy is not a proxy setting: use http_proxy, https_proxy, no_proxy"]),
        ({"http_proxy": 3128}, ["proxy:http_proxy must be a string, not 3128"]),
        ({"http_proxy": "p.example.com:3128"},
         ["proxy:http_proxy: http-proxy 'p.example.com:3128' is not a proxy URL with its "
          "scheme (such as http://proxy.example.com:3128)"]),
        ({"http_proxy": "http://u:s3cret@p.example.com:3128/a b"},
         ["proxy:http_proxy: 'http://u:****@p.example.com:3128/a b' holds a quote, "
          "backslash, space, % or $, which a systemd drop-in would not keep as written"]),
        ({}, ["proxy is an empty mapping: give http_proxy or https_proxy, or none"]),
    ],
)  # fmt: skip
def test_the_setting_is_checked_and_passwords_are_not_shown(proxy, given, problems):
    assert proxy.check(given) == problems


def test_an_older_engine_gets_a_drop_in_every_engine_reads(proxy, tmp_path):
    root = str(tmp_path)
    given = {"http_proxy": "http://u:s3cret@p.example.com:3128", "no_proxy": "localhost"}
    planned = proxy.plan(given, False, root=root)
    assert planned["proxies"] is None
    assert planned["changes"] == {
        DROP_IN: {
            "old": None,
            "new": {"HTTP_PROXY": "http://u:****@p.example.com:3128", "NO_PROXY": "localhost"},
        }
    }
    assert "s3cret" not in repr(planned["changes"])
    assert proxy.apply(planned)["result"] is True
    text = (tmp_path / DROP_IN.lstrip("/")).read_text()
    assert text.splitlines()[-2:] == [
        "[Service]",
        'Environment="HTTP_PROXY=http://u:s3cret@p.example.com:3128" "NO_PROXY=localhost"',
    ]
    assert proxy.plan(given, False, root=root)["changes"] == {}
    # The engine is updated to one that reads daemon.json: the drop-in goes.
    moved = proxy.plan(given, True, root=root)
    assert moved["proxies"] == {
        "http-proxy": "http://u:s3cret@p.example.com:3128",
        "no-proxy": "localhost",
    }
    assert moved["changes"] == {
        DROP_IN: {
            "old": {"HTTP_PROXY": "http://u:****@p.example.com:3128", "NO_PROXY": "localhost"},
            "new": None,
        }
    }
    proxy.apply(moved)
    assert not (tmp_path / DROP_IN.lstrip("/")).exists()
    assert proxy.plan("none", False, root=root)["changes"] == {}


def test_a_bad_setting_is_refused_before_anything_is_read(proxy, tmp_path):
    with pytest.raises(SaltInvocationError):
        proxy.plan({"http_proxy": "nope"}, False, root=str(tmp_path))


def test_a_drop_in_that_reads_back_otherwise_fails(proxy, tmp_path):
    planned = proxy.plan({"https_proxy": "http://p.example.com:3128"}, False, root=str(tmp_path))
    proxy.__salt__["docker_host_files.write_atomic"] = lambda *args, **kwargs: True
    done = proxy.apply(planned)
    assert done["result"] is False
    assert done["comment"] == f"{DROP_IN} reads back otherwise"
    assert done["changes"] == planned["changes"]
    assert proxy.apply({**planned, "changes": {}}) == {
        "result": True,
        "changes": {},
        "comment": "The proxy's drop-in is as specified.",
    }


def test_the_drop_in_says_whose_it_is_and_keeps_the_variables_order(proxy, tmp_path):
    given = {"no_proxy": "localhost", "https_proxy": "http://p:3128", "http_proxy": "http://p:3128"}
    planned = proxy.plan(given, False, root=str(tmp_path))
    assert planned["drop_in"] == (
        "# The Docker daemon's proxy, written by the docker_host formula\n"
        "# (docker_host:proxy). Changes here are undone at its next run.\n"
        "[Service]\n"
        'Environment="HTTP_PROXY=http://p:3128" "HTTPS_PROXY=http://p:3128" "NO_PROXY=localhost"\n'
    )
