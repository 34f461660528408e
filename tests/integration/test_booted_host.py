"""SUSE's three steps and its Networking section on a booted SLES-like host.

The guest (tests/guest.py) is a Debian userland that presents as SLES 15 SP6,
booted with systemd as PID 1, with real zypper and rpm; its Salt minion (the
release of SUSE's Salt Bundle, 3006.0) reaches a real salt-master over a veth
pair between two network namespaces of the test's own. The master serves a
clone of the repository and pillar-example/, whose top file gives the minion
``prod-sles15`` the prod profile.

What is mocked, because it cannot exist here: SUSE's repositories. The docker
rpm is built by the test in SUSE's layout (tests/sles-guest/docker.spec) and
served from a local repository that the test adds with ``zypper ar``, as an
administrator adds one.
"""

import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import pytest

from tests import guest as guests
from tests.saltcall import unconverged

pytestmark = [
    pytest.mark.destructive_test,
    pytest.mark.skip_if_not_root,
    pytest.mark.skipif(
        not shutil.which("systemd-nspawn") or not shutil.which("mmdebstrap"),
        reason="the booted guest needs systemd-nspawn and mmdebstrap (make test installs them)",
    ),
]

MINION = "prod-sles15"
# The reactor's cooldown (docker_host_heal_cooldown), short for the test.
COOLDOWN = 15
# The beacon's repeat: longer than the test watches a repair that failed.
REPEAT = 30
# The master is Salt 3006.0 too, as where SUSE's Salt Bundle serves as the
# master: a 3006.0 minion cannot sign in to a 3008.4 master ("bad load").
SALT_BIN = guests.SALT_LINES_DIR / guests.GUEST_SALT[0] / "bin"


class Master:
    """A salt-master in the namespace at the other end of the guest's link."""

    def __init__(self, work, booted, clone):
        self.work = work
        self.namespace = booted.outside
        self.booted = booted
        self.config = work / "master-conf"
        self.config.mkdir()
        states = work / "states"
        states.mkdir()
        # A copy: the drift test adds the beacon's pillar to it.
        self.pillar = work / "pillar"
        shutil.copytree(clone / "pillar-example", self.pillar)
        (states / "top.sls").write_text("base:\n  '*':\n    - docker_host\n")
        options = {
            "root_dir": str(work / "master-root"),
            "interface": guests.OUTSIDE_ADDRESS,
            "auto_accept": True,
            "file_roots": {"base": [str(states), str(clone)]},
            "pillar_roots": {"base": [str(self.pillar)]},
            "log_level_logfile": "info",
            # The README's reactor for the docker_host beacon, with a short cooldown.
            "reactor": [
                {
                    "salt/beacon/*/docker_host/drift/*": [
                        str(clone / "reactor-example/docker_host_drift.sls")
                    ]
                }
            ],
            "runner_dirs": [str(clone / "_runners")],
            "docker_host_heal_cooldown": COOLDOWN,
        }
        (self.config / "master").write_text(json.dumps(options))
        self.process = booted.outside_run(
            SALT_BIN / "salt-master",
            "-c",
            self.config,
            "-l",
            "quiet",
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )

    def salt(self, *arguments, timeout=600):
        """``salt prod-sles15 ARGUMENTS``: the minion's return."""
        # The CLI reaches the master at its interface: from the master's namespace.
        done = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                self.namespace,
                str(SALT_BIN / "salt"),
                "-c",
                str(self.config),
                "--out=json",
                "--static",
                f"--timeout={timeout}",
                MINION,
                *arguments,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout + 60,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        try:
            return json.loads(done.stdout)[MINION]
        except (ValueError, KeyError):
            raise AssertionError(f"salt {arguments}: {done.stdout}\n{done.stderr}") from None

    def highstate(self, test=False, pillar=None):
        arguments = ["state.highstate", f"test={test}"]
        if pillar is not None:
            arguments.append(f"pillar={json.dumps(pillar)}")
        ret = self.salt(*arguments)
        assert isinstance(ret, dict), ret
        return {key.split("_|-")[1]: value for key, value in ret.items()}

    def applies(self, sls, since):
        """When the master sent ``state.apply sls`` to the minion."""
        return [
            at
            for at, tag, data in list(self.seen)
            if at >= since
            and tag.startswith("salt/job/")
            and tag.endswith("/new")
            and data.get("fun") == "state.apply"
            and list(data.get("arg") or [])[:1] == [sls]
        ]

    def runners_pending(self):
        """Runner jobs (the heal runner's) that started and have not returned."""
        started, ended = set(), set()
        for _, tag, _ in list(self.seen):
            parts = tag.split("/")
            if len(parts) == 4 and parts[:2] == ["salt", "run"]:
                (started if parts[3] == "new" else ended).add(parts[2])
        return started - ended

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def booted(tmp_path_factory):
    work = tmp_path_factory.mktemp("guest")
    started = time.monotonic()
    with guests.Guest(work, MINION) as booted:
        booted.boot_seconds = time.monotonic() - started
        yield booted


@pytest.fixture(scope="module")
def master(booted, repository_clone, tmp_path_factory):
    master = Master(tmp_path_factory.mktemp("master"), booted, repository_clone)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if master.salt("test.ping", timeout=5) is True:
                    break
            except AssertionError:  # the master is still starting
                if time.monotonic() > deadline:
                    raise
            time.sleep(1)
        yield master
    finally:
        master.stop()


def _main_pid(booted):
    return int(booted.run("systemctl", "show", "--property=MainPID", "--value", "docker").stdout)


def _docker_info(booted):
    return json.loads(booted.run("docker", "info", "--format", "{{json .}}").stdout)


def _assert_predicted(predicted, applied, pending=()):
    """Every state of the real run succeeded and changed exactly what the
    test=True run before it said it would; except the states in ``pending``,
    which could not know before the package was installed, and said so."""
    assert set(predicted) == set(applied)
    for state_id, state in applied.items():
        assert state["result"] is True, (state_id, state)
        if state_id in pending:
            assert predicted[state_id]["result"] is None
            assert predicted[state_id]["changes"] == {}
            assert "package, which is not installed yet" in predicted[state_id]["comment"]
            continue
        assert state["changes"] == predicted[state_id]["changes"], (state_id, predicted[state_id])
        assert predicted[state_id]["result"] is (None if state["changes"] else True), state_id


def _converge(master, pillar=None, pending=()):
    """test=True, the real run, then a second run: the changes of the real
    run, which test=True predicted exactly and after which nothing is left."""
    predicted = master.highstate(test=True, pillar=pillar)
    applied = master.highstate(pillar=pillar)
    try:
        _assert_predicted(predicted, applied, pending)
    except AssertionError as err:
        journal = master.booted.run("journalctl", "--no-pager", "-n", "30", "-u", "docker").stdout
        raise AssertionError(
            f"{err}\n\nThe guest's journal of docker.service:\n{journal}"
        ) from None
    assert unconverged(master.highstate(pillar=pillar)) == {}
    return {state_id: state["changes"] for state_id, state in applied.items() if state["changes"]}


def test_the_prod_highstate_installs_docker_with_zypper_and_systemd_starts_it(booted, master):
    assert master.salt("grains.item", "os", "os_family", "osfinger") == {
        "os": "SUSE",
        "os_family": "Suse",
        "osfinger": "SLES-15",
    }
    # As an administrator adds a repository.
    booted.run("zypper", "--non-interactive", "addrepo", "--no-gpgcheck",
               f"file://{guests.DOCKER_REPO}", "docker-local")  # fmt: skip
    assert booted.run("rpm", "-q", "docker", check=False).returncode != 0
    synced = master.salt("saltutil.sync_all")
    assert "states.docker_host_service" in synced["states"]
    master.salt("saltutil.refresh_pillar")

    # The daemon's files come with the package: before its install, test=True
    # cannot know their changes, and says so.
    changes = _converge(master, pending={"docker-host-daemon-configured"})

    assert changes["docker-host-package-installed"]["docker"]["old"] == ""
    assert booted.run("rpm", "-q", "docker").stdout.startswith("docker-")
    assert changes["docker-host-service-running"] == {"docker": True}
    assert booted.run("systemctl", "is-enabled", "docker").stdout.strip() == "enabled"
    assert booted.run("systemctl", "is-active", "docker").stdout.strip() == "active"
    # systemd started SUSE's unit with the formula's configuration.
    info = _docker_info(booted)
    assert info["Driver"] == "btrfs"
    # userns-remap: default. SUSE's package made dockremap without subordinate
    # IDs, without which dockerd does not start: the formula added them.
    assert "name=userns" in info["SecurityOptions"]
    (remap,) = [
        line
        for line in booted.run("cat", "/etc/subuid").stdout.split()
        if line.startswith("dockremap:")
    ]
    _, start, count = remap.split(":")
    assert info["DockerRootDir"] == f"/var/lib/docker/{start}.{start}"
    assert count == "65536"
    assert info["LiveRestoreEnabled"] is True
    # CIS 2.13: container logs go to the journal, which the host collects.
    assert info["LoggingDriver"] == "journald"
    booted.run("docker", "import", guests.BUSYBOX_IMAGE, "busybox:guest")
    booted.run("docker", "run", "--rm", "--name=logger", "busybox:guest", "echo", "to the journal")
    journal = booted.run("journalctl", "CONTAINER_NAME=logger", "-o", "cat", "--no-pager")
    assert "to the journal" in journal.stdout.splitlines()
    argv = booted.run("cat", f"/proc/{_main_pid(booted)}/cmdline").stdout.split("\0")
    opts = booted.run("bash", "-c", ". /etc/sysconfig/docker; echo $DOCKER_OPTS").stdout.split()
    assert argv[: 3 + len(opts)] == [
        "/usr/bin/dockerd",
        "--add-runtime",
        "oci=/usr/sbin/runc",
        *opts,
    ]
    assert "operator" in booted.run("getent", "group", "docker").stdout


def test_the_newest_salt_in_the_guest_sees_sles_and_what_zypper_and_systemd_did(booted, master):
    """The guest's other Salt release, 3008.5, on the host the formula just
    configured: SUSE by its os-release, the package through rpm, the unit
    through systemd."""

    def call(*arguments):
        done = booted.run(
            f"/opt/salt-{guests.GUEST_SALT[-1]}/bin/salt-call", "--local", "--out=json",
            *arguments,
        )  # fmt: skip
        return json.loads(done.stdout)["local"]

    assert call("grains.item", "os", "os_family", "osfinger") == {
        "os": "SUSE",
        "os_family": "Suse",
        "osfinger": "SLES-15",
    }
    assert (
        call("pkg.version", "docker")
        == booted.run("rpm", "-q", "--queryformat", "%{VERSION}-%{RELEASE}", "docker").stdout
    )
    assert call("service.enabled", "docker") is True
    assert call("service.status", "docker") is True


def test_only_the_daemons_configuration_restarts_it(booted, master):
    before = _main_pid(booted)

    # A member added: the group changes, the daemon keeps running.
    members = {"docker_host": {"users": {"members": ["operator", "deploy"]}}}
    changes = _converge(master, members)
    assert "docker-host-users" in changes
    assert "docker-host-service-running" not in changes
    assert _main_pid(booted) == before
    assert "deploy" in booted.run("getent", "group", "docker").stdout

    # The daemon's configuration changed: systemd restarts dockerd with it.
    restore = {"docker_host": {"users": {"members": ["operator", "deploy"]},
                               "daemon": {"daemon_json": {"live-restore": False}}}}  # fmt: skip
    changes = _converge(master, restore)
    assert changes["docker-host-service-running"] == {"docker": True}
    assert _main_pid(booted) != before
    assert _docker_info(booted)["LiveRestoreEnabled"] is False

    # Stopped by hand: the next highstate starts it, and says so beforehand.
    booted.run("systemctl", "stop", "docker")
    changes = _converge(master, restore)
    assert changes == {"docker-host-service-running": {"docker": True}}
    assert booted.run("systemctl", "is-active", "docker").stdout.strip() == "active"

    # Back to the profile as it is.
    changes = _converge(master)
    assert changes["docker-host-service-running"] == {"docker": True}
    assert _docker_info(booted)["LiveRestoreEnabled"] is True


def test_the_proxy_reaches_dockerd_through_the_drop_in_and_a_restart(booted, master):
    """Engine 20.10 reads its proxy from its environment: the drop-in for
    docker.service, which systemd reads again (Salt's restart reloads units
    that changed) before it restarts dockerd. docker info then shows it."""
    url = f"http://{guests.OUTSIDE_ADDRESS}:3128"
    proxied = {"docker_host": {"proxy": {"http_proxy": url, "https_proxy": url}}}
    changes = _converge(master, proxied)
    drop_in = "/etc/systemd/system/docker.service.d/90-docker-host-proxy.conf"
    assert changes["docker-host-daemon-configured"] == {
        drop_in: {"old": None, "new": {"HTTP_PROXY": url, "HTTPS_PROXY": url}}
    }
    assert changes["docker-host-service-running"] == {"docker": True}
    info = _docker_info(booted)
    assert (info["HttpProxy"], info["HttpsProxy"]) == (url, url)
    # none: the drop-in goes, and so does the daemon's proxy.
    changes = _converge(master, {"docker_host": {"proxy": "none"}})
    assert changes["docker-host-daemon-configured"] == {
        drop_in: {"old": {"HTTP_PROXY": url, "HTTPS_PROXY": url}, "new": None}
    }
    assert booted.run("test", "-e", drop_in, check=False).returncode == 1
    info = _docker_info(booted)
    assert (info["HttpProxy"], info["HttpsProxy"]) == ("", "")
    booted.run("systemctl", "reset-failed", "docker")


def test_a_held_engine_stays_where_it_is_when_zypper_updates(booted, master):
    """package:hold: a zypper lock keeps an unattended ``zypper up`` from moving
    the engine. A newer docker (an empty rpm of version 99, built in the guest)
    comes in a second repository: without the lock zypper would take it."""
    installed = booted.run("rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", "docker").stdout
    spec = " ".join(
        f"'{line}'"
        for line in ("Name: docker", "Version: 99.0", "Release: 0", "Summary: newer",
                     "License: none", "BuildArch: noarch", "%description", "newer", "%files")
    )  # fmt: skip
    built = booted.run("sh", "-c", f"""
        mkdir -p /tmp/newer/SPECS && printf '%s\\n' {spec} > /tmp/newer/SPECS/docker.spec &&
        rpmbuild --quiet -bb --define '_topdir /tmp/newer' /tmp/newer/SPECS/docker.spec &&
        mkdir -p /srv/docker-newer && cp /tmp/newer/RPMS/noarch/*.rpm /srv/docker-newer/ &&
        createrepo_c --quiet /srv/docker-newer &&
        zypper --non-interactive addrepo --no-gpgcheck file:///srv/docker-newer docker-newer &&
        zypper --non-interactive refresh
    """, check=False)  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    update = ["zypper", "--non-interactive", "update", "--dry-run", "docker"]
    try:
        assert "docker" in booted.run(*update).stdout.split("will be upgraded:")[-1]
        held = {"docker_host": {"package": {"version": installed, "hold": True}}}
        changes = _converge(master, held)
        assert changes == {
            "docker-host-package-held": {
                "docker": {"old": "not held", "new": f"held at {installed}"}
            }
        }
        assert "docker" in booted.run("zypper", "--non-interactive", "locks").stdout
        booted.run("zypper", "--non-interactive", "update", "docker", check=False)
        assert booted.run("rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", "docker").stdout == (
            installed
        )
        # Released: zypper would take the newer one again.
        released = {"docker_host": {"package": {"hold": False}}}
        changes = _converge(master, released)
        assert changes == {
            "docker-host-package-held": {
                "docker": {"old": f"held at {installed}", "new": "not held"}
            }
        }
        assert "docker" in booted.run(*update).stdout.split("will be upgraded:")[-1]
    finally:
        booted.run("sh", "-c", """
            zypper --non-interactive removerepo docker-newer; rm -rf /srv/docker-newer
            zypper --non-interactive removelock docker || true
        """)  # fmt: skip


@pytest.fixture(scope="module")
def outside(booted, tmp_path_factory):
    """A web server in the namespace at the other end of the guest's link: the
    external network. Yields the path of its request log."""
    site = tmp_path_factory.mktemp("outside")
    (site / "page").write_text("from the outside\n")
    log = site / "requests.log"
    with open(log, "w") as requests:
        server = booted.outside_run(
            sys.executable, "-u", "-m", "http.server", "--bind", guests.OUTSIDE_ADDRESS,
            "--directory", site, "8080", stdout=subprocess.DEVNULL, stderr=requests,
        )  # fmt: skip
    try:
        yield log
    finally:
        server.terminate()
        server.wait(timeout=10)


def _fetch(booted):
    """From a container on Docker's default bridge, a page of the server in
    the namespace outside the guest: what it answered, or what failed."""
    request = f"printf 'GET /page HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {guests.OUTSIDE_ADDRESS} 8080"
    done = booted.run("docker", "run", "--rm", "busybox:guest", "sh", "-c", request, check=False)
    return done.stdout + done.stderr


def _reaches(booted):
    reply = _fetch(booted)
    return "200 OK" in reply and "from the outside" in reply


def _forwarding(master):
    """docker_host.forwarding alone: test=True, then for real; the changes,
    which the prediction named exactly."""
    predicted = master.salt("state.apply", "docker_host.forwarding", "test=True")
    applied = master.salt("state.apply", "docker_host.forwarding")
    changed = {key.split("_|-")[1]: state["changes"] for key, state in applied.items()}
    assert changed == {key.split("_|-")[1]: state["changes"] for key, state in predicted.items()}
    assert all(state["result"] is True for state in applied.values()), applied
    return changed["docker-host-forwarding-enabled"]


def test_a_container_reaches_the_outside_network_through_the_formulas_forwarding(
    booted, master, outside
):
    """SUSE's README: containers reach the external network only with
    forwarding on. The container's packets are routed by the guest (forwarded,
    masqueraded by Docker's rules) to the server outside. No firewall runs."""
    booted.run("docker", "import", guests.BUSYBOX_IMAGE, "busybox:guest")
    deadline = time.monotonic() + 20
    while not _reaches(booted):
        assert time.monotonic() < deadline, _fetch(booted)
        time.sleep(0.5)
    # The server saw the guest's address: Docker's masquerading, not the
    # container's own address on the bridge.
    assert f"{guests.GUEST_ADDRESS} - - [" in outside.read_text()
    assert '"GET /page HTTP/1.0" 200' in outside.read_text()

    # Forwarding switched off, as a firewall restart or `sysctl --system` does.
    booted.run("sysctl", "-w", "net.ipv4.ip_forward=0")
    assert not _reaches(booted)

    assert _forwarding(master) == {"runtime": {"net.ipv4.ip_forward": {"old": "0", "new": "1"}}}
    assert booted.run("sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1"
    assert _reaches(booted)


def _restart_docker(booted):
    """systemctl restart docker, also a fourth time within a minute: SUSE's
    unit allows three starts in 60 s (StartLimitBurst=3), and the tests
    restart it more often than an administrator would."""
    booted.run("systemctl", "reset-failed", "docker")
    booted.run("systemctl", "restart", "docker")


def _firewalld_after_dockerd(booted):
    """firewalld (re)started while dockerd runs, after it: at boot when
    firewalld comes up late, or an administrator's `systemctl restart`."""
    booted.run("systemctl", "stop", "firewalld")
    _restart_docker(booted)
    booted.run("systemctl", "start", "firewalld")


def test_with_firewalld_containers_keep_the_network_whatever_starts_first(booted, master, outside):
    """SLES 15 runs firewalld. Docker Engine 20.10 puts docker0 into firewalld's
    zone docker when it starts while firewalld runs, at runtime only: when
    firewalld starts after dockerd, docker0 is in no zone and firewalld drops
    what containers send. The formula binds docker0 to the zone for good, and
    masquerades in the default zone."""
    booted.run("systemctl", "enable", "--now", "firewalld")
    try:
        _restart_docker(booted)  # dockerd makes its zone
        assert _reaches(booted)
        _firewalld_after_dockerd(booted)
        assert not _reaches(booted), "without the formula, firewalld drops the containers"
        _restart_docker(booted)
        assert _reaches(booted)

        changes = _forwarding(master)
        assert changes == {
            "firewall": {
                "masquerade in zone public (runtime)": {"old": False, "new": True},
                "masquerade in zone public (permanent)": {"old": False, "new": True},
                "docker0 in zone docker (permanent)": {"old": False, "new": True},
            }
        }
        assert booted.run(
            "firewall-cmd", "--permanent", "--zone=docker", "--list-interfaces"
        ).stdout.split() == ["docker0"]

        _firewalld_after_dockerd(booted)
        assert _reaches(booted)
        booted.run("firewall-cmd", "--reload")
        assert _reaches(booted)
        booted.run("sysctl", "-w", "net.ipv4.ip_forward=0")
        assert not _reaches(booted)
        assert _forwarding(master) == {"runtime": {"net.ipv4.ip_forward": {"old": "0", "new": "1"}}}
        assert _reaches(booted)
        assert _forwarding(master) == {}
    finally:
        booted.run("systemctl", "disable", "--now", "firewalld")


def test_the_check_on_the_configured_host_passes_and_says_what_it_has(booted, master):
    done = booted.run(
        f"/opt/salt-{booted.salt_line}/bin/salt-call", "--out=json", "--retcode-passthrough",
        "docker_host.check", check=False,
    )  # fmt: skip
    report = json.loads(done.stdout)["local"]
    items = {item["id"]: item for item in report["items"]}
    # The guest runs this machine's kernel: what the report fails is what
    # that kernel lacks, read here from its own configuration, and salt-call
    # exits non-zero for it. Nothing else fails.
    config = subprocess.run(
        ["zcat", "/proc/config.gz"], capture_output=True, text=True, check=True
    ).stdout
    lacking = {
        item["id"]
        for item in report["items"]
        if item["id"].startswith("kernel.CONFIG_")
        and not re.search(rf"^{item['id'][len('kernel.') :]}=[ym]$", config, re.MULTILINE)
    }
    failing = {item["id"] for item in report["items"] if item["status"] == "fail"}
    assert failing == lacking, report["items"]
    assert (report["result"] == "fail") is bool(lacking)
    assert done.returncode == (1 if lacking else 0)
    assert "Docker Engine 20.10.24" in items["daemon"]["reason"]
    assert items["daemon.storage_driver"]["reason"] == "running storage driver btrfs"
    assert items["network.ip_forward"]["status"] == "ok"
    assert items["docker.installed"]["status"] == "ok"


class Events:
    """The master's event bus, as ``salt-run state.event`` prints it, each event
    with the monotonic time it was read."""

    def __init__(self, master):
        self.seen = []
        self.process = master.booted.outside_run(
            SALT_BIN / "salt-run", "-c", master.config, "state.event", "count=-1", "pretty=False",
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env={**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            tag, _, data = line.rstrip("\n").partition("\t")
            with contextlib.suppress(ValueError):
                self.seen.append((time.monotonic(), tag, json.loads(data)))

    def drifts(self, concern, since):
        tag = f"salt/beacon/{MINION}/docker_host/drift/{concern}"
        return [data for at, seen, data in list(self.seen) if at >= since and seen == tag]

    def converged(self, concern, since):
        tag = f"salt/beacon/{MINION}/docker_host/converged/{concern}"
        return [data for at, seen, data in list(self.seen) if at >= since and seen == tag]

    def repairs(self, concern, since):
        """The heal runner's returns for ``concern``: (time, repaired)."""
        return [
            (at, data["return"]["repaired"])
            for at, tag, data in list(self.seen)
            if at >= since
            and tag.startswith("salt/run/")
            and tag.endswith("/ret")
            and data.get("fun") == "runner.docker_host_heal.repair"
            and isinstance(data.get("return"), dict)
            and data["return"].get("concern") == concern
        ]

    def applies(self, sls, since):
        """When the master sent ``state.apply sls`` to the minion."""
        return [
            at
            for at, tag, data in list(self.seen)
            if at >= since
            and tag.startswith("salt/job/")
            and tag.endswith("/new")
            and data.get("fun") == "state.apply"
            and list(data.get("arg") or [])[:1] == [sls]
        ]

    def runners_pending(self):
        """Runner jobs (the heal runner's) that started and have not returned."""
        started, ended = set(), set()
        for _, tag, _ in list(self.seen):
            parts = tag.split("/")
            if len(parts) == 4 and parts[:2] == ["salt", "run"]:
                (started if parts[3] == "new" else ended).add(parts[2])
        return started - ended

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def _until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.2)


def test_drift_is_noticed_by_the_beacon_and_healed_by_the_reactor(booted, master):
    """The README's beacon (pillar beacons:docker_host, every second) on the
    guest's Salt 3006.0 minion and its reactor and runner on the master. Each
    drift, made by hand in the guest (its own network namespace), gives one
    drift event; the reactor re-applies only the concern's SLS, and the host
    is as configured again: the time from the break to that is measured. A
    flapping ip_forward gives at most one repair per cooldown, and is still
    repaired; a member whose user was deleted gives one event and a failed
    repair, and no loop. Then the beacon goes, and the host is put back."""
    top = master.pillar / "top.sls"
    shipped = top.read_text()
    (master.pillar / "drift.sls").write_text(
        json.dumps(
            {
                "beacons": {
                    "docker_host": [
                        {"interval": 1},
                        {"disable_during_state_run": True},
                        # A drift that outlasts a repair is reported again.
                        {"repeat": REPEAT},
                    ]
                }
            }
        )
    )
    top.write_text(shipped + "  'prod-sles15':\n    - drift\n")
    events = Events(master)
    times = {}
    try:
        assert master.salt("saltutil.sync_all")
        assert master.salt("saltutil.refresh_pillar") is True
        _until(
            lambda: "docker_host" in json.dumps(master.salt("beacons.list", "return_yaml=False")),
            60,
            "the minion runs the docker_host beacon",
        )
        time.sleep(3)  # its first looks: the host is as configured, nothing fires
        assert all(not events.drifts(c, 0) for c in ("forwarding", "daemon", "socket", "users"))

        def read(*command):
            return booted.run(*command).stdout.strip()

        opts = read("grep", "^DOCKER_OPTS=", "/etc/sysconfig/docker")
        drifts = {
            "forwarding": (
                "sysctl -qw net.ipv4.ip_forward=0",
                lambda: read("cat", "/proc/sys/net/ipv4/ip_forward") == "1",
            ),
            "daemon": (
                "sed -i 's/^DOCKER_OPTS=.*/DOCKER_OPTS=\"--debug\"/' /etc/sysconfig/docker",
                lambda: read("grep", "^DOCKER_OPTS=", "/etc/sysconfig/docker") == opts,
            ),
            "socket": (
                "chmod 0666 /run/docker.sock",
                lambda: read("stat", "-c", "%a", "/run/docker.sock") == "660",
            ),
        }
        for concern, (breaking, repaired) in drifts.items():
            start = time.monotonic()
            booted.run("sh", "-c", breaking)
            _until(repaired, 120, f"{concern} repaired")
            times[concern] = time.monotonic() - start
            _until(
                lambda concern=concern, start=start: events.converged(concern, start),
                30,
                f"{concern} converged",
            )
            assert len(events.drifts(concern, start)) == 1, events.drifts(concern, start)
            _until(
                lambda concern=concern, start=start: events.repairs(concern, start),
                120,
                f"the heal runner's return for {concern}",
            )
            assert [done for _, done in events.repairs(concern, start)] == [True]

        # Flapping: 20 switches in about 2 s, off at the end.
        time.sleep(COOLDOWN)  # the forwarding repair above is a cooldown ago
        start = time.monotonic()
        booted.run("sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do "
                   "sysctl -qw net.ipv4.ip_forward=0; sleep 0.1; "
                   "sysctl -qw net.ipv4.ip_forward=1; sleep 0.1; done; "
                   "sysctl -qw net.ipv4.ip_forward=0")  # fmt: skip
        flapped = time.monotonic() - start
        _until(
            lambda: read("cat", "/proc/sys/net/ipv4/ip_forward") == "1",
            REPEAT + COOLDOWN + 60,
            "flapping repaired",
        )
        times["forwarding, flapping"] = time.monotonic() - start
        time.sleep(COOLDOWN + 5)
        applied = events.applies("docker_host.forwarding", start)
        assert applied, events.repairs("forwarding", start)
        # At most one state.apply per cooldown.
        assert all(b - a >= COOLDOWN - 1 for a, b in itertools.pairwise(applied)), applied
        times["flapping: seconds, drift events, state runs"] = (
            round(flapped, 1),
            len(events.drifts("forwarding", start)),
            len(applied),
        )

        # Not repairable: the member's user is gone. One event, one failed repair.
        start = time.monotonic()
        booted.run("userdel", "operator")
        _until(lambda: events.repairs("users", start), 60, "the users repair ran")
        time.sleep(COOLDOWN + 5)
        assert len(events.drifts("users", start)) == 1
        assert [done for _, done in events.repairs("users", start)] == [False]
        assert len(events.applies("docker_host.users", start)) == 1
    finally:
        # A repair may still wait for its cooldown or run: the host is put
        # back after the last one.
        _until(lambda: not events.runners_pending(), 300, "the heal runner returned")
        _until(lambda: master.salt("saltutil.running") == [], 300, "the repairs ended")
        top.write_text(shipped)
        (master.pillar / "drift.sls").unlink()
        master.salt("saltutil.refresh_pillar")
        _until(
            lambda: (
                "docker_host" not in json.dumps(master.salt("beacons.list", "return_yaml=False"))
            ),
            60,
            "the beacon is gone",
        )
        # Its last looks and their repairs end before the host is put back.
        time.sleep(3)
        _until(lambda: not events.runners_pending(), 300, "the heal runner returned")
        _until(lambda: master.salt("saltutil.running") == [], 300, "the repairs ended")
        events.stop()
        booted.run("sh", "-c", "id operator || useradd --create-home --no-user-group "
                   "--gid users operator")  # fmt: skip
    print(f"\ndetection to repair, seconds: {times}")
    print(booted.run("cat", "/var/lib/suse-docker-host/record.json").stdout)
    _converge(master)
    for concern in drifts:
        assert times[concern] < 120


def _rpm_changed(booted):
    """The docker rpm's files whose content differs from the package's, as
    ``rpm -V`` reports them (a 5 in the digest column)."""
    verified = booted.run("rpm", "-V", "docker", check=False).stdout.splitlines()
    return sorted(line.split()[-1] for line in verified if line[2:3] == "5")


def test_the_clean_takes_the_host_back_to_the_package_as_shipped(booted, master):
    """docker_host.clean after the formula's runs (the last test here: it stops
    Docker): systemd stops and disables docker.service, rpm finds the package's
    configuration files as it shipped them again, the sysctl.d file and the
    record are gone, and the docker group has the members it had before.
    test=True predicts exactly the changes the real run makes; a second run
    makes none."""
    assert "/etc/docker/daemon.json" in _rpm_changed(booted)  # what the formula wrote
    clean = ["state.apply", "docker_host.clean"]
    predicted = master.salt(*clean, "test=True")
    applied = master.salt(*clean)
    assert isinstance(applied, dict), applied
    by_id = {key.split("_|-")[1]: value for key, value in applied.items()}
    for key, state in applied.items():
        if state["result"] is not True:
            print(key, state["comment"])
        assert state["result"] is True, (key, state["comment"])
        assert predicted[key]["changes"] == state["changes"], key
    assert by_id["docker-host-service-clean"]["changes"] == {
        "running": {"old": True, "new": False},
        "enabled": {"old": True, "new": False},
    }
    assert {"/etc/sysconfig/docker", "/etc/docker/daemon.json"} <= set(
        by_id["docker-host-daemon-clean"]["changes"]
    )
    assert by_id["docker-host-users-clean"]["changes"] == {"removed": ["operator"]}
    assert booted.run("systemctl", "is-active", "docker", check=False).stdout.strip() == "inactive"
    assert booted.run("systemctl", "is-enabled", "docker", check=False).stdout.strip() == "disabled"
    assert _rpm_changed(booted) == []
    for gone in ("/etc/sysctl.d/90-docker-host-forwarding.conf", "/var/lib/suse-docker-host"):
        assert booted.run("test", "-e", gone, check=False).returncode == 1, gone
    # deploy, added and removed again by the formula's runs, is no change.
    assert booted.run("getent", "group", "docker").stdout.strip().endswith(":")
    again = master.salt(*clean)
    assert all(state["result"] is True and not state["changes"] for state in again.values()), again
