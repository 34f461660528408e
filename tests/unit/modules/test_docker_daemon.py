"""docker_daemon's planning rules that need what this machine cannot have: an engine
that removed a storage driver. The facts and the engine's version are given."""

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.unit.conftest import _load, values_salt

FACTS = {
    "storage": {
        "drivers": {
            "devicemapper": {"supported": True, "reason": "dm_thin_pool loaded", "removed_in": 25},
            "overlay2": {"supported": True, "reason": "ext4, with d_type"},
        },
        "recommended": "overlay2",
        "fstype": "ext4",
        "unknown": {},
    }
}


@pytest.fixture
def daemon(monkeypatch):
    module = _load("_modules/docker_daemon.py")
    sysconfig = _load("_modules/sysconfig.py")
    files = _load("_modules/docker_host_files.py")
    files.__salt__ = {"sysconfig.image_root": sysconfig.image_root}
    module.__salt__ = {
        **values_salt(),
        "docker_host_facts.collect": lambda **_: FACTS,
        "sysconfig.image_root": sysconfig.image_root,
        "sysconfig.resolve": sysconfig.resolve,
        "docker_host_files.read_text": files.read_text,
    }
    return module


@pytest.mark.parametrize("version, refused", [("25.0.5", True), ("24.0.7", False), (None, False)])
def test_a_driver_the_engine_removed_is_refused(daemon, monkeypatch, version, refused):
    """Docker Engine 25 cannot be installed here (Debian ships 20.10), and this kernel has
    no dm_thin_pool."""
    monkeypatch.setattr(daemon, "engine_version", lambda: version)
    if refused:
        with pytest.raises(CommandExecutionError) as raised:
            daemon._check_driver("devicemapper", None, None)
        assert str(raised.value) == (
            "storage_driver devicemapper was removed in Docker Engine 25; this engine is "
            "25.0.5. Use overlay2"
        )
    else:
        assert daemon._check_driver("devicemapper", None, None) == ("devicemapper", "")


def test_an_image_root_is_never_judged_by_this_hosts_engine(daemon, monkeypatch):
    monkeypatch.setattr(daemon, "engine_version", lambda: pytest.fail("engine asked"))
    driver, warning = daemon._check_driver("devicemapper", None, "/srv/image")
    assert driver == "devicemapper"
    assert warning == (
        " storage_driver devicemapper was removed in Docker Engine 25, and the image's "
        "engine version is not known (the image has no docker package in "
        "/var/lib/dpkg/status and no rpm database): it is configured as given."
    )


@pytest.mark.parametrize(
    "status, found",
    [
        (
            "Package: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1+b3\n",
            ("docker.io", "20.10.24+dfsg1"),
        ),
        (
            "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\n\n"
            "Package: docker-ce\nStatus: install ok installed\n"
            "Priority: optional\nVersion: 5:24.0.7-1~debian.12~bookworm\n",
            ("docker-ce", "24.0.7"),
        ),
        # Removed, its configuration kept: not installed.
        ("Package: docker.io\nStatus: deinstall ok config-files\nVersion: 20.10.24-1\n", None),
        ("Package: docker-compose\nStatus: install ok installed\nVersion: 1.29.2-3\n", None),
        # The engine first, then another package: stanzas are read one by one.
        (
            "Package: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1\n\n"
            "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n",
            ("docker.io", "20.10.24+dfsg1"),
        ),
        # The Debian revision is after the last hyphen; the upstream version may have more.
        (
            "Package: docker.io\nStatus: install ok installed\nVersion: 1:27.0-rc1-2\n",
            ("docker.io", "27.0-rc1"),
        ),
        # A stanza without a status or a version (a damaged file) tells nothing.
        ("Package: docker.io\nVersion: 20.10.24-1\n", None),
        ("Package: docker.io\nStatus: install ok installed\n", None),
    ],
)
def test_the_engine_in_dpkgs_status_file(daemon, status, found):
    assert daemon._dpkg_engine(status) == found


@pytest.mark.parametrize(
    "version, offered",
    [
        ("24.0.7", "devicemapper, overlay2"),
        ("25.0.5", "overlay2"),
        # An engine of unknown release: only drivers no release has removed.
        (None, "overlay2"),
    ],
)
def test_a_driver_that_is_no_driver_is_named_with_the_engines_choices(
    daemon, monkeypatch, version, offered
):
    monkeypatch.setattr(daemon, "engine_version", lambda url=None: version)
    with pytest.raises(CommandExecutionError) as raised:
        daemon._check_driver("aufs", None, None)
    assert str(raised.value) == (
        f"storage_driver 'aufs' is not a storage driver; use one of {offered}, or auto"
    )


def test_the_choices_for_an_image_are_its_engines(daemon, monkeypatch):
    monkeypatch.setattr(daemon, "engine_version", lambda url=None: "24.0.7")
    monkeypatch.setattr(daemon, "installed_engine", lambda image: {"version": "25.0.5"})
    monkeypatch.setitem(daemon.__salt__, "sysconfig.image_root", lambda root: root)
    with pytest.raises(CommandExecutionError) as raised:
        daemon._check_driver("aufs", None, "/srv/image")
    assert "use one of overlay2, or auto" in str(raised.value)


@pytest.mark.parametrize(
    "version, major",
    [("25.0.5", 25), ("20.10.24+dfsg1", 20), ("dev", None), (None, None), ("", None), (24, 24)],
)
def test_engine_major(daemon, version, major):
    assert daemon.engine_major(version) == major


def test_the_daemon_url_is_given_then_docker_host_then_the_minion_option(daemon, monkeypatch):
    monkeypatch.setattr(daemon, "__opts__", {"docker.url": "tcp://minion:2375"}, raising=False)
    monkeypatch.setenv("DOCKER_HOST", "tcp://env:2375")
    assert daemon.daemon_url("unix:///given.sock") == "unix:///given.sock"
    assert daemon.daemon_url() == "tcp://env:2375"
    monkeypatch.delenv("DOCKER_HOST")
    assert daemon.daemon_url() == "tcp://minion:2375"
    monkeypatch.setattr(daemon, "__opts__", {}, raising=False)
    assert daemon.daemon_url() == "unix:///run/docker.sock"


@pytest.mark.parametrize(
    "text, settings, problem",
    [
        ('{"graph": "/srv/docker"}', {"data-root": "/srv/docker"}, None),
        ("  \n", {}, None),  # an empty file holds no settings
        ('{"debug": true, "log-level": "warn"}', {"debug": True, "log-level": "warn"}, None),
        ("[]", None, "must hold a JSON object, not list"),
        (
            '{"graph": "/a", "data-root": "/b"}',
            {"data-root": "/b"},
            "sets both graph and data-root, and dockerd refuses that: keep data-root",
        ),
    ],
)
def test_daemon_json_is_read_as_dockerd_reads_it(daemon, text, settings, problem):
    assert daemon.parse_daemon_json(text) == (settings, problem)


def test_daemon_json_that_is_no_json_has_no_settings(daemon):
    settings, problem = daemon.parse_daemon_json('{"debug": true,}')
    assert settings is None
    assert problem.startswith("is not valid JSON (")
    assert problem.endswith("); dockerd would not start")


def _rpm_image(tmp_path, daemon, answer):
    """An image with an rpm database, whose query through ``cmd.run_all``
    answers ``answer`` (a result dict, or an exception to raise); the real
    rpm query runs in tests/functional/test_image_roots.py. Returns the calls."""
    (tmp_path / "usr/lib/sysimage/rpm").mkdir(parents=True)
    calls = []

    def run_all(command, **options):
        calls.append((command, options))
        if isinstance(answer, Exception):
            raise answer
        return answer

    daemon.__salt__["cmd.run_all"] = run_all
    return calls


@pytest.mark.parametrize(
    "answer, expected",
    [
        (
            {"retcode": 0, "stdout": "docker 24.0.7_ce\n"},
            {"version": "24.0.7_ce", "seen": "the image's rpm database: docker 24.0.7_ce"},
        ),
        # rpm's words for a package it does not have are not a version.
        (
            {"retcode": 1, "stdout": "package docker is not installed\ndocker-ce 25.0.3\n"},
            {"version": "25.0.3", "seen": "the image's rpm database: docker-ce 25.0.3"},
        ),
        (
            {"retcode": 4, "stdout": "package docker is not installed\n"},
            {"version": None, "seen": "the image's package databases hold no docker package"},
        ),
        (
            {"retcode": 1, "stdout": None},
            {"version": None, "seen": "the image's package databases hold no docker package"},
        ),
        (
            CommandExecutionError("rpm: not found"),
            {
                "version": None,
                "seen": "the image's rpm database cannot be read here: rpm: not found",
            },
        ),
    ],
)
def test_the_engine_in_an_images_rpm_database(daemon, tmp_path, answer, expected):
    calls = _rpm_image(tmp_path, daemon, answer)
    assert daemon.installed_engine(str(tmp_path)) == expected
    ((command, options),) = calls
    assert command == [
        "rpm",
        f"--root={tmp_path}",
        "--dbpath=/usr/lib/sysimage/rpm",
        "-q",
        "--qf",
        "%{NAME} %{VERSION}\\n",
        "docker",
        "docker.io",
        "docker-ce",
        "moby-engine",
    ]
    # No shell; a missing package is an answer, not an error; nothing in the log.
    assert options == {"python_shell": False, "ignore_retcode": True, "output_loglevel": "quiet"}


def test_installed_engine_is_only_for_an_image_root(daemon):
    for live in (None, "/", "//"):
        with pytest.raises(SaltInvocationError) as raised:
            daemon.installed_engine(live)
        assert str(raised.value) == (
            "installed_engine reads an image root; this host's is engine_version"
        )
