"""
Base images on a Docker host: load KIWI-built archives, pull from registries.

KIWI builds base images as docker-archive tarballs (``docker save`` format),
plain or compressed with gzip or xz. This module reads such an archive's
image ID without loading it (so that a state loads only what is missing),
loads and tags it through docker-py, and pulls images from registries.

:depends: ``docker`` (docker-py).
:configuration: the daemon's address is ``DOCKER_HOST`` as the docker CLI
    reads it, else the minion option ``docker.url`` (the name Salt's former
    docker module used), else ``unix:///run/docker.sock``.

Registry credentials are passed through to the daemon and never appear in a
return value, a log line or an error message.
"""

import json
import os
import tarfile

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_images"

DEFAULT_URL = "unix:///run/docker.sock"


def __virtual__():
    try:
        import docker  # noqa: F401, PLC0415
    except ImportError:
        return (False, "docker-py is not installed (pip install docker)")
    return __virtualname__


def _url(url=None):
    return url or os.environ.get("DOCKER_HOST") or __opts__.get("docker.url") or DEFAULT_URL


def _client(url=None, timeout=60):
    import docker  # noqa: PLC0415

    address = _url(url)
    try:
        return docker.DockerClient(base_url=address, timeout=timeout)
    except docker.errors.DockerException as err:
        raise CommandExecutionError(
            f"the Docker daemon does not answer at {address}: {_clean(err)}. Start it "
            "(systemctl start docker), or point DOCKER_HOST or the minion option docker.url "
            "at it"
        ) from err


def _clean(err, secrets=()):
    """An error's text without any of ``secrets`` in it."""
    text = str(err)
    for secret in secrets:
        if secret:
            text = text.replace(str(secret), "***")
    return text


def _split(name):
    """("repository", "tag") of ``name``; the tag defaults to latest."""
    if "@" in name:
        return name, None
    repository, _, tag = name.rpartition(":")
    if not repository or "/" in tag:
        return name, "latest"
    return repository, tag


def image_id(name, url=None):
    """
    Return the ID of the image ``name`` points at, or None.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.image_id registry.suse.com/bci/bci-base:15.6
    """
    import docker  # noqa: PLC0415

    client = _client(url)
    try:
        return client.images.get(name).id
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.APIError as err:
        raise CommandExecutionError(f"cannot look up image {name}: {_clean(err)}") from err
    finally:
        client.close()


def archive_image_id(path):
    """
    Return the ID of the image in a docker-archive tarball (plain, .gz or .xz),
    read from its manifest without loading it. A file that is missing,
    unreadable, truncated or holds no image is an error.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.archive_image_id /srv/kiwi/sles15-base.docker.tar.xz
    """
    if not os.path.isfile(path):
        raise CommandExecutionError(f"{path} does not exist or is not a file")
    try:
        with tarfile.open(path, "r:*") as archive:
            config = None
            names = []
            for member in archive:  # reads to the end: a truncated file fails here
                names.append(member.name)
                if member.name in ("manifest.json", "./manifest.json"):
                    manifest = json.load(archive.extractfile(member))
                    if manifest and isinstance(manifest, list):
                        config = manifest[0].get("Config")
    except (tarfile.TarError, EOFError, OSError, ValueError) as err:
        why = _clean(err) or type(err).__name__
        raise CommandExecutionError(
            f"{path} is not a readable docker-archive tarball ({why}); it may be truncated "
            "or corrupt: build or copy it again"
        ) from err
    if not config:
        raise CommandExecutionError(
            f"{path} holds no image (no manifest.json with a Config): it is not a "
            "docker-archive tarball (docker save or KIWI's docker type)"
        )
    digest = os.path.basename(config)
    digest = digest[: -len(".json")] if digest.endswith(".json") else digest
    return f"sha256:{digest}"


def load_image(path, name, url=None):
    """
    Load a docker-archive tarball (plain, .gz or .xz) and tag its image ``name``.

    Tags the archive itself carried, and that did not exist before, are
    removed again: only ``name`` is added. Returns ``{"id", "name", "old"}``
    (``old``: the image ``name`` pointed at before, or None).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.load_image /srv/kiwi/sles15-base.docker.tar.xz sles15/base:latest
    """
    import docker  # noqa: PLC0415

    wanted = archive_image_id(path)
    repository, tag = _split(name)
    client = _client(url, timeout=600)
    try:
        before = {t for image in client.images.list() for t in image.tags}
        old = _get_id(client, name)
        with open(path, "rb") as handle:
            loaded = client.images.load(handle)
        image = next((i for i in loaded if i.id == wanted), None)
        if image is None:
            raise CommandExecutionError(
                f"{path} was loaded, but the daemon reports no image {wanted} from it"
            )
        image.tag(repository, tag)
        for stray in set(client.images.get(wanted).tags) - before - {name}:
            client.images.remove(stray, noprune=True)
        return {"id": wanted, "name": name, "old": old}
    except docker.errors.APIError as err:
        raise CommandExecutionError(f"loading {path} failed: {_clean(err)}") from err
    finally:
        client.close()


def _get_id(client, name):
    import docker  # noqa: PLC0415

    try:
        return client.images.get(name).id
    except docker.errors.ImageNotFound:
        return None


def pull_image(name, auth=None, url=None, timeout=60):
    """
    Pull ``name`` from its registry; return ``{"id", "name", "old"}``.

    auth
        ``{"username": ..., "password": ...}`` (and optionally
        ``serveraddress``), e.g. from pillar; never shown anywhere.

    timeout
        Seconds to wait for the daemon's answer: an unreachable registry
        fails then, not never.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.pull_image registry.suse.com/bci/bci-base:15.6
    """
    import docker  # noqa: PLC0415
    import requests  # noqa: PLC0415

    if auth is not None and not isinstance(auth, dict):
        raise SaltInvocationError("auth must be a mapping with username and password")
    secrets = list((auth or {}).values())
    repository, tag = _split(name)
    client = _client(url, timeout=timeout)
    try:
        old = _get_id(client, name)
        image = client.images.pull(repository, tag=tag, auth_config=auth)
        return {"id": image.id, "name": name, "old": old}
    except docker.errors.ImageNotFound as err:
        raise CommandExecutionError(
            f"{name} was not found in its registry: {_clean(err, secrets)}"
        ) from err
    except docker.errors.APIError as err:
        raise CommandExecutionError(f"pulling {name} failed: {_clean(err, secrets)}") from err
    except requests.exceptions.RequestException as err:
        raise CommandExecutionError(
            f"pulling {name} got no answer within {timeout} s: {_clean(err, secrets)}"
        ) from err
    finally:
        client.close()
