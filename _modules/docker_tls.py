"""
The Docker daemon's TLS files, for a remote API that only clients with a
certificate of the CA may use (``tlsverify``; CIS Docker Benchmark 2.7).

The ``tls`` settings name the CA certificate, the server certificate and
its key, each as PEM text (from pillar; written to ``/etc/docker/tls``,
``root:root``, the key ``0600``) or as the absolute path of a file already
on the minion (used where it is). ``plan`` says which files change and the
daemon settings they give (``tlsverify``, ``tlscacert``, ``tlscert``,
``tlskey``); ``apply`` writes them. Key material never appears in a plan,
a return or a log: files are named by the SHA-256 fingerprint of the
certificate (of its DER form, as ``openssl x509 -fingerprint -sha256``
prints it) and, for a key, of the file.

:depends: nothing beyond Python.
:configuration: none; every function takes ``root`` for an alternative root.

Why it is written by hand: Salt's ``x509`` modules make certificates, which
is not this module's job (the administrator's CA issues them); what is
needed is to place given PEM text with the right owner and mode, and to
name it without showing it.
"""

import base64
import binascii
import hashlib
import os
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_tls"

TLS_DIR = "/etc/docker/tls"
# name in the tls settings: (file under TLS_DIR, mode, daemon setting, PEM label)
FILES = {
    "ca": ("ca.pem", 0o644, "tlscacert", "CERTIFICATE"),
    "cert": ("server-cert.pem", 0o644, "tlscert", "CERTIFICATE"),
    "key": ("server-key.pem", 0o600, "tlskey", "PRIVATE KEY"),
}
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----", re.S)


def __virtual__():
    return __virtualname__


def _blocks(text):
    return [(label, body) for label, body in _PEM.findall(text)]


def _fingerprint(label, body, text):
    """A certificate's SHA-256 fingerprint (of its DER form); a key's, of the file."""
    if label == "CERTIFICATE":
        der = base64.b64decode("".join(body.split()))
        digest = hashlib.sha256(der).hexdigest().upper()
        return "SHA256:" + ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    return "SHA256 of the file: " + hashlib.sha256(text.encode()).hexdigest()


def _pem_problem(name, text):
    """Why ``text`` is not PEM of the kind ``name`` needs, or None."""
    blocks = _blocks(text)
    wanted = FILES[name][3]
    if not blocks:
        return f"tls:{name} is neither PEM text nor an absolute path"
    label, body = blocks[0]
    if wanted == "PRIVATE KEY" and not label.endswith("PRIVATE KEY"):
        return f"tls:{name} holds a {label}, not a private key"
    if wanted == "CERTIFICATE" and label != "CERTIFICATE":
        return f"tls:{name} holds a {label}, not a certificate"
    try:
        base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        return f"tls:{name} is not valid PEM (its base64 does not decode)"
    return None


def check(tls):
    """
    Return what is wrong with the ``tls`` settings (``{ca, cert, key}``, each
    PEM text or an absolute path), one message per problem. Key material is
    never quoted.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_tls.check '{"ca": "/etc/pki/docker/ca.pem", "cert": "x", "key": "y"}'
    """
    if not isinstance(tls, dict):
        return [f"tls must be a mapping of ca, cert and key, not {type(tls).__name__}"]
    problems = [
        f"tls:{name} is not a key of tls: use ca, cert, key" for name in tls if name not in FILES
    ]
    for name in FILES:
        value = tls.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(
                f"tls:{name} is missing: give PEM text or the path of a file on the minion"
            )
        elif not value.startswith("/"):
            wrong = _pem_problem(name, value)
            if wrong:
                problems.append(wrong)
    return problems


def _read(path):
    text = __salt__["docker_host_files.read_text"](path)
    return text


def plan(tls, root=None):
    """
    Return the TLS files' changes and the daemon settings they give, for the
    ``tls`` settings: ``{"changes": {path: {"old": fingerprint or None, "new":
    fingerprint}}, "settings": {"tlsverify": True, "tlscacert": path, ...},
    "files": [...]}``. PEM text goes to ``/etc/docker/tls``; a path is used
    where it is and must exist there (under ``root``). Nothing is written.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_tls.plan '{"ca": "/etc/pki/docker/ca.pem",
            "cert": "/etc/pki/docker/server.pem", "key": "/etc/pki/docker/server.key"}'
    """
    problems = check(tls)
    if problems:
        raise SaltInvocationError("; ".join(problems))
    settings, changes, files = {"tlsverify": True}, {}, []
    for name, (filename, mode, setting, _) in FILES.items():
        value = tls[name]
        if value.startswith("/"):
            where = __salt__["sysconfig.resolve"](value, root=root)
            text = _read(where)
            if text is None:
                raise CommandExecutionError(
                    f"tls:{name} names {value}, which does not exist on this minion: put the "
                    "file there first, or give its PEM text"
                )
            wrong = _pem_problem(name, text)
            if wrong:
                raise CommandExecutionError(f"{wrong.replace(f'tls:{name}', value)} (tls:{name})")
            settings[setting] = value
            continue
        path = f"{TLS_DIR}/{filename}"
        settings[setting] = path
        text = value if value.endswith("\n") else value + "\n"
        where = __salt__["sysconfig.resolve"](path, root=root)
        current = _read(where)
        if current != text or _loose(where, mode):
            label, body = _blocks(text)[0]
            old = None
            if current is not None and _blocks(current):
                old = _fingerprint(*_blocks(current)[0], current)
            new = _fingerprint(label, body, text)
            changes[path] = {"old": old, "new": new}
            files.append({"path": path, "name": name, "mode": mode})
    return {"root": root, "changes": changes, "settings": settings, "files": files}


def _loose(where, mode):
    """Whether the file at ``where`` is not root's or allows more than ``mode``."""
    try:
        status = os.lstat(where)
    except FileNotFoundError:
        return False
    return status.st_uid != 0 or status.st_gid != 0 or status.st_mode & 0o777 & ~mode != 0


def apply(planned, tls):
    """
    Write the files of a plan from ``plan``: atomically, ``root:root``, the key
    ``0600``. Return ``{"result", "changes", "comment"}``.

    CLI Example:

    .. code-block:: bash

        tls='{"ca": "/etc/pki/docker/ca.pem", "cert": "...", "key": "..."}'
        plan=$(salt-call --out=json docker_tls.plan "$tls" | jq -c .local)
        salt-call docker_tls.apply "$plan" "$tls"
    """
    root = planned["root"]
    for item in planned["files"]:
        text = tls[item["name"]]
        text = text if text.endswith("\n") else text + "\n"
        where = __salt__["sysconfig.resolve"](item["path"], root=root)
        # Recorded, so that docker_host.clean can take the file back.
        with __salt__["docker_host_record.recording"]("daemon", {item["path"]: []}, root=root):
            __salt__["docker_host_files.write_atomic"](where, text, mode=item["mode"], root=root)
        # A file that already held the text is not rewritten: its owner and a
        # looser mode left by hand are put right here.
        os.chown(where, 0, 0)
        os.chmod(where, os.lstat(where).st_mode & 0o777 & item["mode"])
    again = plan(tls, root=root)
    if again["changes"]:
        return {
            "result": False,
            "changes": planned["changes"],
            "comment": f"Wrote {', '.join(planned['changes'])}, but reading back shows other files",
        }
    return {
        "result": True,
        "changes": planned["changes"],
        "comment": f"{', '.join(planned['changes']) or 'Nothing'} written.",
    }
