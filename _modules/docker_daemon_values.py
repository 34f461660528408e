"""
What dockerd accepts as the value of its settings.

dockerd reads many values only when it starts, and then refuses to start:
a registry mirror without ``https://``, a bridge address that is no CIDR,
a log option its log driver does not know, a label without ``=``. This
module holds those rules, so that the daemon's plan refuses such a value
before anything is written, and the ``docker_host`` pillar check before
any state runs. Each rule names the setting, what is wrong and the form
dockerd takes.

The rules are those of Docker Engine 20.10 to 28, which agree on every
value checked here; what depends on the engine's release (settings that
came later, such as ``proxies`` in daemon.json from Engine 23) is judged
by ``docker_daemon`` against the target's engine. Values in DOCKER_OPTS
come as dockerd's flags write them (``name=soft:hard``, ``key=value``),
values in daemon.json as its JSON does.

Log options are checked for the drivers built into dockerd whose options
are fixed (json-file, local, journald, syslog); other drivers (gelf,
fluentd, awslogs, splunk, gcplogs, plugins) check their options themselves
when dockerd starts, and are passed as given.

:depends: nothing beyond Python.
:configuration: none.

Why it is written by hand: these are the engine's own checks, in its Go
code; no Python library holds them.
"""

import ipaddress
import re
import urllib.parse

__virtualname__ = "docker_daemon_values"


def __virtual__():
    return __virtualname__


# Options dockerd's logger accepts for every driver.
_EVERY_DRIVER = {"mode", "max-buffer-size"}
# The options of the drivers built into dockerd whose options are fixed.
LOG_OPTS = {
    "json-file": {
        "max-size",
        "max-file",
        "compress",
        "labels",
        "labels-regex",
        "env",
        "env-regex",
        "tag",
    },
    "local": {"max-size", "max-file", "compress"},
    "journald": {"tag", "labels", "labels-regex", "env", "env-regex"},
    "syslog": {
        "syslog-address",
        "syslog-facility",
        "syslog-tls-ca-cert",
        "syslog-tls-cert",
        "syslog-tls-key",
        "syslog-tls-skip-verify",
        "syslog-format",
        "tag",
        "labels",
        "labels-regex",
        "env",
        "env-regex",
    },
}
_SYSLOG_FACILITIES = {
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    *(f"local{number}" for number in range(8)),
}
# The resource names of setrlimit(2) that Docker's ulimits take.
ULIMITS = {
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
}
PROXY_KEYS = ("http-proxy", "https-proxy", "no-proxy")
# A size as dockerd reads it (go-units RAMInBytes): 512, 64m, 1.5GiB.
_SIZE = re.compile(r"[0-9]+(?:\.[0-9]+)? ?(?:[kKmMgGtTpP][iI]?[bB]?|[bB])?\Z")
_LABEL = re.compile(r"[^=\s]+=")
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\Z")


def _ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return f"{text!r} is not an IP address"
    return None


def _network(text):
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_interface(text)
    except ValueError:
        return None


def _cidr(text):
    if _network(text) is None:
        return f"{text!r} is not a network in CIDR form (such as 10.20.0.0/16)"
    return None


def _bridge_address(text):
    interface = _network(text)
    if interface is None:
        return f"{text!r} is not the bridge's address with its prefix length (such as 10.20.0.1/16)"
    if interface.ip == interface.network.network_address and interface.network.prefixlen < (
        interface.max_prefixlen - 1
    ):
        return (
            f"{text!r} is the network's own address, which the bridge cannot take: give "
            f"the bridge's address, such as {interface.network.network_address + 1}/"
            f"{interface.network.prefixlen}"
        )
    return None


def _port(text):
    return text.isdigit() and int(text) <= 65535


def _hostname(text):
    return (
        bool(text) and len(text) <= 253 and all(_HOST_LABEL.match(part) for part in text.split("."))
    )


def _host_and_port(text, port_needed):
    """(host, port) of ``host``, ``host:port``, ``[v6]:port``; None when it is not one."""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, None
    if port_needed and port is None:
        return None
    return host, port


def _registry_host(text):
    split = _host_and_port(text, port_needed=False)
    if split is None:
        return False
    host, port = split
    if port is not None and not _port(port):
        return False
    return _hostname(host) or _ip(host) is None


def _mirror(text):
    url = urllib.parse.urlsplit(text)
    if url.scheme.lower() not in ("http", "https"):
        return (
            f"{text!r} is not an http:// or https:// URL, and dockerd takes no other "
            f"mirror: write https://{text.split('://', 1)[-1]}"
        )
    if not url.hostname:
        return f"{text!r} names no host"
    if url.path not in ("", "/") or url.query or url.fragment:
        return (
            f"{text!r} has a path, query or fragment, which dockerd refuses: give the "
            f"mirror's root, {url.scheme}://{url.netloc}"
        )
    return None


def _insecure_registry(text):
    bare = re.sub(r"\Ahttps?://", "", text, flags=re.I)
    if "://" in bare:
        return f"{text!r} has a scheme dockerd does not take: give host[:port] or a CIDR"
    if "/" in bare:
        return None if _network(bare) else f"{text!r} is not a network in CIDR form"
    if not _registry_host(bare):
        return (
            f"{text!r} is not a registry's host[:port] (letters, digits, '-' and '.', a "
            "port up to 65535) or a CIDR"
        )
    return None


def _host_port(text):
    split = _host_and_port(text, port_needed=True)
    if split is None or not _port(split[1]):
        return f"{text!r} is not host:port (such as 127.0.0.1:9323)"
    return None


def _size(text):
    if not _SIZE.match(text):
        return f"{text!r} is not a size dockerd reads (such as 64m or 1g)"
    return None


def _label(text):
    if not _LABEL.match(text):
        return f"{text!r} is not key=value"
    return None


def _generic_resource(text):
    if not _LABEL.match(text):
        return f"{text!r} is not NAME=value (such as gpu=2 or GPU=UUID1)"
    return None


def _runtime_flag(text):
    name, equals, path = text.partition("=")
    if not equals or not name or not path:
        return f"{text!r} is not name=path"
    return None


def _ulimit_flag(text):
    name, equals, limits = text.partition("=")
    if not equals:
        return f"{text!r} is not name=soft[:hard] (such as nofile=1024:4096)"
    soft, _, hard = limits.partition(":")
    numbers = [soft, hard or soft]
    if not all(re.fullmatch(r"-?[0-9]+", number) for number in numbers):
        return f"{text!r} has limits that are not whole numbers"
    return _ulimit(name, *map(int, numbers))


def _ulimit(name, soft, hard):
    if name not in ULIMITS:
        return f"{name!r} is not a ulimit ({', '.join(sorted(ULIMITS))})"
    if soft > hard:
        return f"{name}: the soft limit {soft} is above the hard limit {hard}"
    return None


def _each(check):
    def checked(value):
        for item in value if isinstance(value, list) else [value]:
            wrong = check(item) if isinstance(item, str) else None
            if wrong:
                return wrong
        return None

    return checked


def _labels(value):
    items = value if isinstance(value, list) else [value]
    wrong = _each(_label)(items)
    if wrong:
        return wrong
    seen = {}
    for item in items:
        key, _, text = item.partition("=")
        if seen.setdefault(key, text) != text:
            return f"gives {key} twice, as {seen[key]!r} and {text!r}: dockerd refuses that"
    return None


def _ulimits(value):
    if isinstance(value, dict):
        for name, limit in value.items():
            if not isinstance(limit, dict) or not {"Soft", "Hard"} <= set(limit):
                return f"{name}: give {{Name: {name}, Soft: ..., Hard: ...}}"
            soft, hard = limit["Soft"], limit["Hard"]
            if not all(isinstance(n, int) and not isinstance(n, bool) for n in (soft, hard)):
                return f"{name}: Soft and Hard are whole numbers"
            if limit.get("Name", name) != name:
                return f"{name}: its Name is {limit['Name']!r}; it must be {name!r}"
            wrong = _ulimit(name, soft, hard)
            if wrong:
                return wrong
        return None
    return _each(_ulimit_flag)(value)


def _pool(base, size):
    network = _network(str(base)) if isinstance(base, str) else None
    if network is None:
        return f"base {base!r} is not a network in CIDR form (such as 10.10.0.0/16)"
    if isinstance(size, str) and size.isdigit():
        size = int(size)
    if not isinstance(size, int) or isinstance(size, bool):
        return f"size {size!r} is not a prefix length"
    if not network.network.prefixlen <= size <= network.max_prefixlen:
        return (
            f"size {size} does not fit base {base}: it is a prefix length from "
            f"{network.network.prefixlen} to {network.max_prefixlen}"
        )
    return None


def _address_pools(value):
    for given in value if isinstance(value, list) else [value]:
        pool = given
        if isinstance(given, str):  # the flag's form: base=10.10.0.0/16,size=24
            fields = dict(part.partition("=")[::2] for part in given.split(","))
            pool = {"base": fields.get("base"), "size": fields.get("size")}
        if not isinstance(pool, dict):
            return f"{pool!r} is not {{base: CIDR, size: prefix length}}"
        wrong = _pool(pool.get("base"), pool.get("size"))
        if wrong:
            return wrong
    return None


def _runtimes(value):
    if isinstance(value, dict):
        for name, runtime in value.items():
            if not isinstance(runtime, dict):
                return f"{name}: a runtime is a mapping such as {{path: /usr/bin/crun}}"
        return None
    return _each(_runtime_flag)(value)


def _not_negative(what):
    def check(value):
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
            value = int(value)
        if isinstance(value, int) and value < 0:
            return f"is {value}: {what} cannot be negative"
        return None

    return check


def _proxies(value):
    unknown = sorted(set(value) - set(PROXY_KEYS))
    if unknown:
        return f"takes {', '.join(PROXY_KEYS)}, not {', '.join(unknown)}"
    for key, url in value.items():
        if not isinstance(url, str):
            return f"{key} takes a string, not {url!r}"
        wrong = proxy_url_problem(key, url)
        if wrong:
            return wrong
    return None


def proxy_url_problem(key, url):
    """
    Return what is wrong with ``url`` as the daemon's ``key`` (``http-proxy``,
    ``https-proxy``: a URL with a scheme and a host; ``no-proxy``: a list of
    names), or None.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon_values.proxy_url_problem http-proxy proxy.example.com:3128
    """
    if key == "no-proxy":
        return None if not re.search(r"\s", url) else f"no-proxy {url!r} holds whitespace"
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme.lower() not in ("http", "https", "socks5", "socks5h") or not parsed.hostname:
        return (
            f"{key} {url!r} is not a proxy URL with its scheme (such as "
            "http://proxy.example.com:3128)"
        )
    return None


# Each rule takes the value as validated for its kind (a string, a list of
# strings, a mapping) and returns what is wrong with it, or None.
_RULES = {
    "registry-mirrors": _each(_mirror),
    "insecure-registries": _each(_insecure_registry),
    "dns": _each(_ip),
    "labels": _labels,
    "bip": _bridge_address,
    "fixed-cidr": _cidr,
    "fixed-cidr-v6": _cidr,
    "default-gateway": _ip,
    "default-gateway-v6": _ip,
    "ip": _ip,
    "host-gateway-ip": _ip,
    "default-address-pools": _address_pools,
    "default-ulimits": _ulimits,
    "default-shm-size": _size,
    "metrics-addr": _host_port,
    "node-generic-resources": _each(_generic_resource),
    "runtimes": _runtimes,
    "mtu": _not_negative("an MTU"),
    "max-concurrent-downloads": _not_negative("a number of downloads"),
    "max-concurrent-uploads": _not_negative("a number of uploads"),
    "proxies": _proxies,
}


def problem(key, value):
    """
    Return why dockerd would refuse ``value`` for ``key`` (its daemon.json
    name), or None. ``value`` has the kind the key takes already (a string,
    a list, a mapping).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon_values.problem registry-mirrors '["mirror.example.com"]'
        salt '*' docker_daemon_values.problem bip 10.20.0.0
    """
    rule = _RULES.get(key)
    if rule is None or value is None:
        return None
    return rule(value)


def log_opts_problem(driver, opts):
    """
    Return why dockerd would refuse the log options ``opts`` (a mapping) for
    the log driver ``driver``, or None. With ``driver`` None (not known yet),
    and for drivers whose options are not fixed here, only the values of the
    options every driver has, and sizes, are judged.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon_values.log_opts_problem journald '{"max-size": "10m"}'
    """
    if not isinstance(opts, dict):
        return None
    mode = opts.get("mode")
    if mode is not None and mode not in ("blocking", "non-blocking"):
        return f"log-opts: mode is blocking or non-blocking, not {mode!r}"
    known = LOG_OPTS.get(driver)
    if known is None:
        return _size_problem(opts, {"max-size", "max-buffer-size"})
    unknown = sorted(set(opts) - known - _EVERY_DRIVER)
    if unknown:
        return (
            f"log-opts: the {driver} log driver has no option {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(known | _EVERY_DRIVER))}"
        )
    wrong = _size_problem(opts, known | _EVERY_DRIVER)
    if wrong:
        return wrong
    facility = opts.get("syslog-facility")
    if (
        facility is not None
        and facility not in _SYSLOG_FACILITIES
        and not (str(facility).isdigit() and int(facility) <= 23)
    ):
        return (
            f"log-opts: syslog-facility {facility!r} is not a facility "
            f"({', '.join(sorted(_SYSLOG_FACILITIES))})"
        )
    return None


def _size_problem(opts, names):
    for name in sorted({"max-buffer-size", "max-size"} & names & set(opts)):
        if _size(str(opts[name])):
            return f"log-opts: {name} {opts[name]!r} is not a size (such as 10m)"
    return None


def log_drivers_with_fixed_options():
    """
    Return the log drivers whose options are checked.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon_values.log_drivers_with_fixed_options
    """
    return sorted(LOG_OPTS)
