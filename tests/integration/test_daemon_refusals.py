"""Each class of daemon setting the formula refuses, a real dockerd refuses too.

Table-driven. Each row gives a ``docker_host:daemon`` pillar and, written by
hand beside it, the same configuration as dockerd takes it (daemon.json and
flags). The pillar check (``docker_host_pillar.problems_in``, through Salt's
loader) must refuse the pillar with exactly one problem that names the
pillar key and the reason; dockerd, started with the same configuration,
must refuse it for the same reason: its error is matched. Most refusals
come when dockerd starts; those of the bridge need a bridge (a network
namespace of the test's own); a few come only when a container starts
(a log option's value, a ulimit in daemon.json's form), and are proven
there.

Every dockerd runs under the test's own directories, with its own
--config-file, and is stopped after. Docker Engine 20.10 is the engine
here (Debian's docker.io): the rows are what it refuses.
"""

import json
import shutil
import subprocess

import docker
import pytest
from saltfactories.utils.functional import Loaders

from tests import dockerd
from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.destructive_test, pytest.mark.skip_if_not_root]

START, BRIDGE, CONTAINER = "start", "bridge", "container"
# label: (pillar's docker_host:daemon, dockerd's daemon.json, dockerd's flags,
#         the pillar check's words, dockerd's words, when dockerd refuses)
REFUSALS = {
    "mirror without a scheme": (
        {"daemon_json": {"registry-mirrors": ["mirror.example.com"]}},
        {"registry-mirrors": ["mirror.example.com"]},
        [],
        "daemon_json:registry-mirrors 'mirror.example.com' is not an http:// or https:// URL",
        'invalid mirror: unsupported scheme "" in "mirror.example.com"',
        START,
    ),
    "mirror with a path": (
        {"options": {"registry-mirror": ["https://mirror.example.com/v2/x"]}},
        {},
        ["--registry-mirror=https://mirror.example.com/v2/x"],
        "options:registry-mirror 'https://mirror.example.com/v2/x' has a path, query or fragment",
        "invalid mirror: path, query, or fragment at end of the URI",
        START,
    ),
    "insecure registry that is no host": (
        {"daemon_json": {"insecure-registries": ["r_x.example.com"]}},
        {"insecure-registries": ["r_x.example.com"]},
        [],
        "daemon_json:insecure-registries 'r_x.example.com' is not a registry's host[:port]",
        'insecure registry r_x.example.com is not valid: invalid host "r_x.example.com"',
        START,
    ),
    "insecure registry with a port out of range": (
        {"daemon_json": {"insecure-registries": ["r.example.com:99999"]}},
        {"insecure-registries": ["r.example.com:99999"]},
        [],
        "'r.example.com:99999' is not a registry's host[:port]",
        'insecure registry r.example.com:99999 is not valid: invalid port "99999"',
        START,
    ),
    "insecure registry with another scheme": (
        {"daemon_json": {"insecure-registries": ["ftp://r.example.com"]}},
        {"insecure-registries": ["ftp://r.example.com"]},
        [],
        "'ftp://r.example.com' has a scheme dockerd does not take",
        "insecure registry ftp://r.example.com should not contain '://'",
        START,
    ),
    "insecure registry that is no CIDR": (
        {"daemon_json": {"insecure-registries": ["10.0.0.0/33"]}},
        {"insecure-registries": ["10.0.0.0/33"]},
        [],
        "'10.0.0.0/33' is not a network in CIDR form",
        "insecure registry 10.0.0.0/33 is not valid",
        START,
    ),
    "address pool without a prefix": (
        {"daemon_json": {"default-address-pools": [{"base": "10.10.0.0", "size": 24}]}},
        {"default-address-pools": [{"base": "10.10.0.0", "size": 24}]},
        [],
        "daemon_json:default-address-pools base '10.10.0.0' is not a network in CIDR form",
        'invalid base pool "10.10.0.0": invalid CIDR address: 10.10.0.0',
        START,
    ),
    "address pool size beyond 32": (
        {"daemon_json": {"default-address-pools": [{"base": "10.10.0.0/16", "size": 33}]}},
        {"default-address-pools": [{"base": "10.10.0.0/16", "size": 33}]},
        [],
        "size 33 does not fit base 10.10.0.0/16",
        "Invalid Address Pool",
        BRIDGE,
    ),
    "bridge address without a prefix": (
        {"daemon_json": {"bip": "10.20.0.1"}},
        {"bip": "10.20.0.1"},
        [],
        "daemon_json:bip '10.20.0.1' is not the bridge's address with its prefix length",
        "invalid CIDR address: 10.20.0.1",
        BRIDGE,
    ),
    "bridge address that is the network's": (
        {"options": {"bip": "10.20.0.0/16"}},
        {},
        ["--bip=10.20.0.0/16"],
        "options:bip '10.20.0.0/16' is the network's own address",
        "failed to allocate gateway (10.20.0.0)",
        BRIDGE,
    ),
    "fixed-cidr without a prefix": (
        {"daemon_json": {"fixed-cidr": "10.20.0.0"}},
        {"fixed-cidr": "10.20.0.0"},
        [],
        "daemon_json:fixed-cidr '10.20.0.0' is not a network in CIDR form",
        "invalid CIDR address: 10.20.0.0",
        BRIDGE,
    ),
    "negative MTU": (
        {"daemon_json": {"mtu": -1}},
        {"mtu": -1},
        [],
        "daemon_json:mtu is -1: an MTU cannot be negative",
        "invalid MTU number: -1",
        BRIDGE,
    ),
    "log option another driver has": (
        {"daemon_json": {"log-driver": "journald", "log-opts": {"max-size": "10m"}}},
        {"log-driver": "journald", "log-opts": {"max-size": "10m"}},
        [],
        "log-opts: the journald log driver has no option max-size",
        "unknown log opt 'max-size' for journald log driver",
        START,
    ),
    "log option local has not": (
        {"options": {"log-driver": "local"}, "daemon_json": {"log-opts": {"tag": "web"}}},
        {"log-opts": {"tag": "web"}},
        ["--log-driver=local"],
        "log-opts: the local log driver has no option tag",
        "unknown log opt 'tag' for log driver local",
        START,
    ),
    "logging mode": (
        {"daemon_json": {"log-opts": {"mode": "fast"}}},
        {"log-opts": {"mode": "fast"}},
        [],
        "log-opts: mode is blocking or non-blocking, not 'fast'",
        "logging mode not supported: fast",
        START,
    ),
    "syslog facility": (
        {"daemon_json": {"log-driver": "syslog", "log-opts": {"syslog-facility": "bogus"}}},
        {"log-driver": "syslog", "log-opts": {"syslog-facility": "bogus"}},
        [],
        "log-opts: syslog-facility 'bogus' is not a facility",
        "invalid syslog facility",
        START,
    ),
    "log size": (
        {"daemon_json": {"log-opts": {"max-size": "lots"}}},
        {"log-opts": {"max-size": "lots"}},
        [],
        "log-opts: max-size 'lots' is not a size",
        "failed to initialize logging driver: invalid size: 'lots'",
        CONTAINER,
    ),
    "label without a value": (
        {"daemon_json": {"labels": ["tier"]}},
        {"labels": ["tier"]},
        [],
        "daemon_json:labels 'tier' is not key=value",
        "bad attribute format: tier",
        START,
    ),
    "label given twice": (
        {"options": {"label": ["tier=a", "tier=b"]}},
        {},
        ["--label=tier=a", "--label=tier=b"],
        "options:label gives tier twice, as 'a' and 'b'",
        "conflict labels for tier=b and tier=a",
        START,
    ),
    "name server that is no address": (
        {"daemon_json": {"dns": ["dns.example.com"]}},
        {"dns": ["dns.example.com"]},
        [],
        "daemon_json:dns 'dns.example.com' is not an IP address",
        "dns.example.com is not an ip address",
        START,
    ),
    "gateway that is no address": (
        {"daemon_json": {"default-gateway": "gateway"}},
        {"default-gateway": "gateway"},
        [],
        "daemon_json:default-gateway 'gateway' is not an IP address",
        "invalid IP address: gateway",
        START,
    ),
    "shm size": (
        {"daemon_json": {"default-shm-size": "lots"}},
        {"default-shm-size": "lots"},
        [],
        "daemon_json:default-shm-size 'lots' is not a size dockerd reads",
        "invalid size: 'lots'",
        START,
    ),
    "metrics address without a port": (
        {"daemon_json": {"metrics-addr": "127.0.0.1"}},
        {"metrics-addr": "127.0.0.1"},
        [],
        "daemon_json:metrics-addr '127.0.0.1' is not host:port",
        "missing port in address",
        START,
    ),
    "negative download count": (
        {"daemon_json": {"max-concurrent-downloads": -2}},
        {"max-concurrent-downloads": -2},
        [],
        "daemon_json:max-concurrent-downloads is -2",
        "invalid max concurrent downloads: -2",
        START,
    ),
    "generic resource without a value": (
        {"daemon_json": {"node-generic-resources": ["gpu"]}},
        {"node-generic-resources": ["gpu"]},
        [],
        "daemon_json:node-generic-resources 'gpu' is not NAME=value",
        "could not parse GenericResource",
        START,
    ),
    "ulimit that is none": (
        {"options": {"default-ulimit": ["nofiles=10:10"]}},
        {},
        ["--default-ulimit=nofiles=10:10"],
        "options:default-ulimit 'nofiles' is not a ulimit",
        "invalid ulimit type: nofiles",
        START,
    ),
    "ulimit soft above hard": (
        {"options": {"default-ulimit": ["nofile=20:10"]}},
        {},
        ["--default-ulimit=nofile=20:10"],
        "options:default-ulimit nofile: the soft limit 20 is above the hard limit 10",
        "ulimit soft limit must be less than or equal to hard limit: 20 > 10",
        START,
    ),
    "ulimit soft above hard, in daemon.json": (
        {
            "daemon_json": {
                "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 20, "Hard": 10}}
            }
        },
        {"default-ulimits": {"nofile": {"Name": "nofile", "Soft": 20, "Hard": 10}}},
        [],
        "daemon_json:default-ulimits nofile: the soft limit 20 is above the hard limit 10",
        "error setting rlimits",
        CONTAINER,
    ),
    "runtime without a path": (
        {"options": {"add-runtime": ["crun"]}},
        {},
        ["--add-runtime=crun"],
        "options:add-runtime 'crun' is not name=path",
        "invalid runtime argument: crun",
        START,
    ),
    "runtime that is no mapping": (
        {"daemon_json": {"runtimes": {"crun": "/usr/bin/crun"}}},
        {"runtimes": {"crun": "/usr/bin/crun"}},
        [],
        "daemon_json:runtimes crun: a runtime is a mapping",
        "cannot unmarshal string into Go struct field Config.runtimes",
        START,
    ),
    "proxy at daemon.json's top": (
        {"daemon_json": {"http-proxy": "http://proxy.example.com:3128"}},
        {"http-proxy": "http://proxy.example.com:3128"},
        [],
        "daemon_json:http-proxy belongs under proxies in daemon.json",
        "the following directives don't match any configuration option: http-proxy",
        START,
    ),
    "the same directive twice": (
        {"options": {"log-level": "warn"}, "daemon_json": {"log-level": "warn"}},
        {"log-level": "warn"},
        ["--log-level=warn"],
        "log-level given in both options and daemon_json",
        "the following directives are specified both as a flag and in the configuration "
        "file: log-level",
        START,
    ),
}


@pytest.fixture(scope="module")
def modules(salt_factories, tmp_path_factory):
    """The extension's modules through Salt's loader, as a minion has them."""
    factory = salt_factories.salt_minion_daemon(
        "refusals-minion",
        overrides={
            "file_client": "local",
            "file_roots": {"base": [str(tmp_path_factory.mktemp("state-tree"))]},
            "module_dirs": [str(REPO_ROOT)],
        },
    )
    loaders = Loaders(factory.config.copy(), loaded_base_name=f"{__name__}.loaded")
    yield loaders.modules
    loaders.reset_state()


@pytest.fixture(scope="module")
def busybox_tarball(tmp_path_factory):
    base = tmp_path_factory.mktemp("busybox")
    rootfs = base / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    shutil.copy(shutil.which("busybox"), rootfs / "bin" / "busybox")
    tarball = base / "rootfs.tar"
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
    return tarball


def _container_error(base, config_file, tarball):
    """The error dockerd gives when a container starts under ``config_file``."""
    with dockerd.private_dockerd(base, config_file=config_file) as url:
        client = docker.DockerClient(base_url=url, timeout=60)
        try:
            client.api.import_image(src=str(tarball), repository="sdh/busybox", tag="refusal")
            client.containers.run(
                "sdh/busybox:refusal", ["/bin/busybox", "true"], network_mode="none", remove=True
            )
        except docker.errors.APIError as err:
            return str(err)
        finally:
            client.close()
    return None


@pytest.mark.parametrize("label", sorted(REFUSALS))
def test_what_the_formula_refuses_dockerd_refuses_for_the_same_reason(
    label, modules, tmp_path, busybox_tarball
):
    pillar, daemon_json, flags, ours, theirs, when = REFUSALS[label]
    problems = modules.docker_host_pillar.problems_in({"daemon": pillar})
    assert len(problems) == 1, problems
    assert problems[0].startswith("docker_host:daemon:"), problems
    assert ours in problems[0], problems

    config_file = tmp_path / "daemon.json"
    config_file.write_text(json.dumps(daemon_json))
    if when == CONTAINER:
        assert not flags
        error = _container_error(tmp_path / "daemon", config_file, busybox_tarball)
        assert theirs in (error or "started"), error
        return
    args = [f"--data-root={tmp_path / 'data'}", "--storage-driver=vfs", *flags]
    if when == BRIDGE:
        with dockerd.network_namespace("sdh-refusal") as prefix:
            code, log = dockerd.refusal(tmp_path / "daemon", args, config_file, prefix=prefix)
    else:
        code, log = dockerd.refusal(tmp_path / "daemon", args, config_file)
    assert code not in (None, 0), f"dockerd started:\n{log[-2000:]}"
    assert theirs in log, log[-2000:]


def test_daemon_json_proxies_are_refused_for_an_engine_older_than_23(modules, tmp_path):
    """This machine's engine is 20.10: the daemon's plan asks it (dockerd --help), and
    refuses daemon.json's proxies, which that engine refuses."""
    proxies = {"proxies": {"http-proxy": "http://proxy.example.com:3128"}}
    with pytest.raises(Exception) as refused:
        modules.docker_daemon.plan(daemon_json=proxies)
    assert "daemon_json:proxies is read by Engine 23 and later" in str(refused.value)
    assert "20.10" in str(refused.value)
    config_file = tmp_path / "daemon.json"
    config_file.write_text(json.dumps(proxies))
    code, log = dockerd.refusal(
        tmp_path / "daemon",
        [f"--data-root={tmp_path / 'data'}", "--storage-driver=vfs"],
        config_file,
    )
    assert code not in (None, 0)
    assert "the following directives don't match any configuration option: http-proxy" in log
