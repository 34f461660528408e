"""docker_daemon_values: the values dockerd takes, and the ones it refuses.
tests/integration/test_daemon_refusals.py has a real dockerd refuse each class."""

import pytest

from tests.unit.conftest import _load


@pytest.fixture(scope="module")
def values():
    return _load("_modules/docker_daemon_values.py")


ACCEPTED = [
    ("registry-mirrors", ["https://mirror.example.com", "http://10.0.0.5:5000/"]),
    ("registry-mirrors", "HTTPS://mirror.example.com"),
    ("insecure-registries", ["registry.example.com:5000", "10.0.0.0/8", "[fd00::1]:5000"]),
    # dockerd strips http:// and https:// from an insecure registry, with a warning.
    ("insecure-registries", ["http://registry.example.com:5000"]),
    ("dns", ["127.0.0.53", "fd00::53"]),
    ("labels", ["env=prod", "tier=web", "env=prod"]),
    ("bip", "10.20.0.1/16"),
    ("fixed-cidr", "10.20.0.0/24"),
    ("fixed-cidr-v6", "fd00:d0c::/64"),
    ("default-gateway", "10.20.0.254"),
    ("default-address-pools", [{"base": "10.10.0.0/16", "size": 24}]),
    ("default-address-pools", ["base=10.10.0.0/16,size=24"]),
    ("default-ulimits", {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 4096}}),
    ("default-ulimits", ["nofile=1024:4096", "nproc=512"]),
    ("default-shm-size", "64m"),
    ("default-shm-size", "1.5GiB"),
    ("metrics-addr", "127.0.0.1:9323"),
    ("node-generic-resources", ["gpu=2"]),
    ("runtimes", {"crun": {"path": "/usr/bin/crun"}}),
    ("runtimes", ["crun=/usr/bin/crun"]),
    ("mtu", 1450),
    ("max-concurrent-downloads", "3"),
    ("proxies", {"http-proxy": "http://proxy:3128", "no-proxy": "localhost,.example.com"}),
    ("log-level", "loud"),  # not a value rule here: docker_daemon.validate has its choices
]


@pytest.mark.parametrize("key, value", ACCEPTED)
def test_values_dockerd_takes_pass(values, key, value):
    assert values.problem(key, value) is None


REFUSED = [
    ("registry-mirrors", ["mirror.example.com"], "is not an http:// or https:// URL"),
    ("registry-mirrors", ["ftp://mirror.example.com"], "write https://mirror.example.com"),
    ("registry-mirrors", ["https://mirror.example.com/v2/"], "give the mirror's root"),
    ("registry-mirrors", ["https://"], "names no host"),
    ("insecure-registries", ["ftp://r.example.com"], "has a scheme dockerd does not take"),
    ("insecure-registries", ["r.example.com:99999"], "is not a registry's host[:port]"),
    ("insecure-registries", ["r_x.example.com"], "is not a registry's host[:port]"),
    ("insecure-registries", ["10.0.0.0/33"], "is not a network in CIDR form"),
    ("dns", ["dns.example.com"], "'dns.example.com' is not an IP address"),
    ("labels", ["env"], "'env' is not key=value"),
    ("labels", ["a=1", "a=2"], "gives a twice, as '1' and '2'"),
    ("bip", "10.20.0.1", "is not the bridge's address with its prefix length"),
    ("bip", "10.20.0.0/16", "give the bridge's address, such as 10.20.0.1/16"),
    ("fixed-cidr", "10.20.0.0", "is not a network in CIDR form"),
    ("default-gateway", "gateway", "is not an IP address"),
    ("default-address-pools", [{"base": "10.10.0.0", "size": 24}], "is not a network in CIDR"),
    ("default-address-pools", [{"base": "10.10.0.0/16", "size": 33}], "prefix length from 16"),
    ("default-address-pools", [{"base": "10.10.0.0/16", "size": 8}], "does not fit base"),
    ("default-address-pools", [{"base": "10.10.0.0/16", "size": "x"}], "is not a prefix length"),
    ("default-address-pools", ["oops"], "is not a network in CIDR form"),
    ("default-address-pools", [["10.0.0.0/8"]], "is not {base: CIDR, size: prefix length}"),
    ("default-ulimits", ["nofiles=10:10"], "'nofiles' is not a ulimit"),
    ("default-ulimits", ["nofile=20:10"], "the soft limit 20 is above the hard limit 10"),
    ("default-ulimits", ["nofile=abc"], "has limits that are not whole numbers"),
    ("default-ulimits", ["nofile"], "is not name=soft[:hard]"),
    ("default-ulimits", {"nofile": {"Soft": 20, "Hard": 10}}, "soft limit 20 is above"),
    ("default-ulimits", {"nofile": {"Soft": 1}}, "give {Name: nofile, Soft: ..., Hard: ...}"),
    ("default-ulimits", {"nofile": {"Soft": "1", "Hard": 2}}, "Soft and Hard are whole numbers"),
    ("default-ulimits", {"nofile": {"Name": "nproc", "Soft": 1, "Hard": 2}}, "it must be 'nofile'"),
    ("default-shm-size", "lots", "is not a size dockerd reads"),
    ("metrics-addr", "localhost", "is not host:port"),
    ("metrics-addr", "localhost:port", "is not host:port"),
    ("node-generic-resources", ["gpu"], "is not NAME=value"),
    ("runtimes", {"crun": "/usr/bin/crun"}, "a runtime is a mapping"),
    ("runtimes", ["crun"], "is not name=path"),
    ("mtu", -1, "is -1: an MTU cannot be negative"),
    ("max-concurrent-downloads", -2, "cannot be negative"),
    ("max-concurrent-uploads", "-1", "cannot be negative"),
    ("proxies", {"http_proxy": "http://p:3128"}, "takes http-proxy, https-proxy, no-proxy"),
    ("proxies", {"http-proxy": "proxy:3128"}, "is not a proxy URL with its scheme"),
    ("proxies", {"https-proxy": 3128}, "https-proxy takes a string"),
    ("proxies", {"no-proxy": "a, b"}, "holds whitespace"),
]


@pytest.mark.parametrize("key, value, why", REFUSED)
def test_values_dockerd_refuses_are_named(values, key, value, why):
    assert why in (values.problem(key, value) or ""), values.problem(key, value)


@pytest.mark.parametrize(
    "driver, opts, why",
    [
        ("json-file", {"max-size": "10m", "max-file": "3", "compress": "true"}, None),
        # A driver not known yet: only values are judged.
        (None, {"tag": "x", "max-file": "3"}, None),
        ("journald", {"tag": "{{.Name}}", "mode": "non-blocking", "max-buffer-size": "4m"}, None),
        ("syslog", {"syslog-facility": "daemon", "tag": "x"}, None),
        ("syslog", {"syslog-facility": "3"}, None),
        # Drivers whose options are not fixed here are passed as given.
        ("gelf", {"gelf-address": "udp://log:12201"}, None),
        ("fluentd", {"anything": "x"}, None),
        (
            "journald",
            {"max-size": "10m"},
            "log-opts: the journald log driver has no option max-size; it takes env, env-regex, "
            "labels, labels-regex, max-buffer-size, mode, tag",
        ),
        ("local", {"tag": "x"}, "the local log driver has no option tag"),
        (None, {"mode": "bogus"}, "mode is blocking or non-blocking, not 'bogus'"),
        ("gelf", {"mode": "fast"}, "mode is blocking or non-blocking"),
        (None, {"max-size": "lots"}, "log-opts: max-size 'lots' is not a size (such as 10m)"),
        ("json-file", {"max-size": "lots"}, "log-opts: max-size 'lots' is not a size"),
        ("fluentd", {"max-size": "lots"}, "log-opts: max-size 'lots' is not a size"),
        ("gelf", {"max-buffer-size": "lots"}, "max-buffer-size 'lots' is not a size"),
        ("syslog", {"syslog-facility": "bogus"}, "syslog-facility 'bogus' is not a facility"),
        ("syslog", {"syslog-facility": "24"}, "is not a facility"),
    ],
)
def test_log_options_are_those_of_their_driver(values, driver, opts, why):
    found = values.log_opts_problem(driver, opts)
    assert (found is None) if why is None else why in (found or ""), found


def test_the_drivers_whose_options_are_judged(values):
    assert values.log_drivers_with_fixed_options() == ["journald", "json-file", "local", "syslog"]
    assert values.log_opts_problem("journald", None) is None


@pytest.mark.parametrize(
    "key, url, why",
    [
        ("http-proxy", "http://proxy.example.com:3128", None),
        ("https-proxy", "socks5://proxy:1080", None),
        ("no-proxy", "localhost,127.0.0.1,.example.com", None),
        ("http-proxy", "proxy.example.com:3128", "is not a proxy URL"),
        ("http-proxy", "http://", "is not a proxy URL"),
    ],
)
def test_proxy_urls(values, key, url, why):
    found = values.proxy_url_problem(key, url)
    assert (found is None) if why is None else why in (found or ""), found


@pytest.mark.parametrize(
    "key, value, refused",
    [
        ("insecure-registries", ["r.example.com:65535"], False),
        ("insecure-registries", ["r.example.com:65536"], True),
        ("insecure-registries", ["HTTPS://r.example.com:5000"], False),
        ("insecure-registries", ["[fd00::1]x"], True),
        ("insecure-registries", ["[fd00::1"], True),
        (
            "insecure-registries",
            ["a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 61],
            False,
        ),
        (
            "insecure-registries",
            ["a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 62],
            True,
        ),
        ("metrics-addr", "[::1]:9323", False),
        ("metrics-addr", "127.0.0.1:65536", True),
        ("registry-mirrors", ["https://m.example.com?x=1"], True),
        ("registry-mirrors", ["https://m.example.com#top"], True),
        ("max-concurrent-downloads", 0, False),
        ("max-concurrent-downloads", "0", False),
        ("mtu", "-5", True),
        ("default-address-pools", [{"base": "10.10.0.0/16", "size": 16}], False),
        ("default-address-pools", [{"base": "10.10.0.0/16", "size": 32}], False),
        ("default-address-pools", ["base=10.10.0.0/16,size=33"], True),
        ("labels", ["k=v=1", "k=v=2"], True),
        ("labels", "tier=a", False),
        ("runtimes", ["=/usr/bin/crun"], True),
        ("runtimes", ["crun="], True),
        ("default-ulimits", ["nofile=1024"], False),
        ("bip", "10.20.0.1/31", False),
        ("proxies", {"https-proxy": "https://p.example.com:3128"}, False),
        ("proxies", {"https-proxy": "socks5h://p.example.com:1080"}, False),
        ("proxies", {"https-proxy": "ftp://p.example.com"}, True),
    ],
)
def test_the_edges_of_what_dockerd_takes(values, key, value, refused):
    assert (values.problem(key, value) is not None) is refused, values.problem(key, value)


def test_messages_name_every_choice(values):
    assert values.problem("default-ulimits", ["nofiles=1"]) == (
        "'nofiles' is not a ulimit (core, cpu, data, fsize, locks, memlock, msgqueue, nice, "
        "nofile, nproc, rss, rtprio, rttime, sigpending, stack)"
    )
    assert values.problem("registry-mirrors", ["ftp://m.example.com://x"]) == (
        "'ftp://m.example.com://x' is not an http:// or https:// URL, and dockerd takes no "
        "other mirror: write https://m.example.com://x"
    )
    assert values.problem("proxies", {"http": "x", "ftp": "y"}) == (
        "takes http-proxy, https-proxy, no-proxy, not ftp, http"
    )
    assert values.log_opts_problem("local", {"tag": "a", "env": "b"}) == (
        "log-opts: the local log driver has no option env, tag; it takes compress, "
        "max-buffer-size, max-file, max-size, mode"
    )
    assert values.log_opts_problem("syslog", {"syslog-facility": "23"}) is None
    assert values.log_opts_problem(None, {"mode": "blocking"}) is None
    assert "(auth, authpriv, cron, daemon, ftp, kern, local0" in values.log_opts_problem(
        "syslog", {"syslog-facility": "x"}
    )
