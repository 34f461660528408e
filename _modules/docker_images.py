"""
Base images on a Docker host: load KIWI-built archives, pull from registries.

KIWI builds base images as docker-archive tarballs (``docker save`` format),
plain or compressed with gzip or xz. This module reads such an archive's
image ID without loading it (so that a state loads only what is missing),
loads and tags it through docker-py, and pulls images from registries.

:depends: ``docker`` (docker-py) for the functions that talk to the daemon.
:configuration: the daemon's address is ``DOCKER_HOST`` as the docker CLI
    reads it, else the minion option ``docker.url`` (the name Salt's former
    docker module used), else ``unix:///run/docker.sock``.

Registry credentials are passed through to the daemon and never appear in a
return value, a log line or an error message.
"""

import contextlib
import hashlib
import json
import os
import tarfile
import threading

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_images"


NO_DOCKER_PY = (
    "docker-py is not installed in the Python Salt runs from on this minion: "
    "install it (pip install docker, or the python3-docker package)"
)


def __virtual__():
    # Loaded without docker-py too: normalize and archive_image_id need none,
    # and the functions that talk to the daemon say what is missing.
    return __virtualname__


def _docker_py():
    """docker-py, or an error that says how to install it."""
    try:
        import docker  # noqa: PLC0415  (only the daemon's functions need it)
    except ImportError as err:
        raise CommandExecutionError(NO_DOCKER_PY) from err
    return docker


def _client(url=None, timeout=60):
    docker = _docker_py()

    address = __salt__["docker_daemon.daemon_url"](url)
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
    """("repository", "tag") of ``name``; the tag defaults to latest. A digest is refused:
    an image is tagged, and a digest names an image in a registry."""
    if "@" in name:
        raise SaltInvocationError(f"{name} names an image by digest; give name as repository:tag")
    repository, _, tag = name.rpartition(":")
    if not repository or "/" in tag:
        return name, "latest"
    return repository, tag


def normalize(name):
    """
    Return ``name`` as the daemon spells its tags: ``:latest`` added, Docker Hub's
    ``docker.io/`` and ``library/`` dropped.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.normalize docker.io/library/busybox
    """
    repository, tag = _split(name)
    # Docker Hub's library/ goes only before a one-part name: docker.io/library/a/b
    # is tagged library/a/b, not a/b.
    for prefix in ("docker.io/", "index.docker.io/"):
        if repository.startswith(prefix):
            repository = repository[len(prefix) :]
            break
    if repository.startswith("library/") and repository.count("/") == 1:
        repository = repository[len("library/") :]
    return f"{repository}:{tag}"


def image_id(name, url=None):
    """
    Return the ID of the image ``name`` points at, or None.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.image_id registry.suse.com/bci/bci-base:15.6
    """
    image = _local_image(name, name, url)
    return image.id if image else None


def _local_image(name, lookup, url):
    """The daemon's image ``lookup`` (for ``name`` as the user gave it), or None."""
    docker = _docker_py()

    client = _client(url)
    try:
        return client.images.get(lookup)
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.APIError as err:
        raise CommandExecutionError(f"cannot look up image {name}: {_clean(err)}") from err
    finally:
        client.close()


def archive_image_id(path):
    """
    Return the ID of the image in a docker-archive tarball (plain, .gz or .xz),
    without loading it: the digest of its image configuration, as the daemon
    computes it. A file that is missing, unreadable, truncated, holds no image
    or more than one is an error.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.archive_image_id /srv/kiwi/sles15-base.docker.tar.xz
    """
    if not os.path.isfile(path):
        raise CommandExecutionError(f"{path} does not exist or is not a file")
    manifest, digests = None, {}
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:  # reads to the end: a truncated file fails here
                name = member.name[2:] if member.name.startswith("./") else member.name
                if not member.isfile() or member.size > (1 << 22):
                    continue  # layers are large; configurations and manifests are not
                data = archive.extractfile(member).read()
                if name == "manifest.json":
                    manifest = json.loads(data)
                else:
                    digests[name] = hashlib.sha256(data).hexdigest()
    except (tarfile.TarError, EOFError, OSError, ValueError) as err:
        why = _clean(err) or type(err).__name__
        raise CommandExecutionError(
            f"{path} is not a readable docker-archive tarball ({why}); it may be truncated "
            "or corrupt: build or copy it again"
        ) from err
    if not isinstance(manifest, list) or not manifest or not manifest[0].get("Config"):
        raise CommandExecutionError(
            f"{path} holds no image (no manifest.json with a Config): it is not a "
            "docker-archive tarball (docker save or KIWI's docker type)"
        )
    if len(manifest) > 1:
        raise CommandExecutionError(
            f"{path} holds {len(manifest)} images; a base image archive holds one: save "
            "each image to an archive of its own"
        )
    config = manifest[0]["Config"]
    if config not in digests:
        raise CommandExecutionError(f"{path} names {config} as its image, but does not hold it")
    return f"sha256:{digests[config]}"


def load_image(path, name, url=None):
    """
    Load a docker-archive tarball (plain, .gz or .xz) and tag its image ``name``.

    Only ``name`` is added: tags the archive itself carried are removed again
    when they are new, and put back where they pointed when they existed. A
    load that fails leaves no image or tag behind. Returns ``{"id", "name",
    "old"}`` (``old``: the image ``name`` pointed at before, or None).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.load_image /srv/kiwi/sles15-base.docker.tar.xz sles15/base:latest
    """
    docker = _docker_py()

    wanted = archive_image_id(path)
    repository, tag = _split(name)
    full = normalize(name)
    client = _client(url, timeout=600)
    try:
        images_before = {image.id for image in client.images.list(all=True)}
        tags_before = {t: image.id for image in client.images.list() for t in image.tags}
        old = tags_before.get(full)
        try:
            with open(path, "rb") as handle:
                client.images.load(handle)
            image = client.images.get(wanted)
            image.tag(repository, tag)
        except (docker.errors.DockerException, OSError) as err:
            _undo(client, images_before, tags_before)
            raise CommandExecutionError(
                f"the daemon could not load {path}: {_clean(err)}; nothing was left behind"
            ) from err
        for stray in set(client.images.get(wanted).tags) - {full}:
            if stray in tags_before:
                back_repository, back_tag = stray.rsplit(":", 1)
                client.images.get(tags_before[stray]).tag(back_repository, back_tag)
            else:
                client.images.remove(stray, noprune=True)
        return {"id": wanted, "name": name, "old": old}
    finally:
        client.close()


def _undo(client, images_before, tags_before):
    """Remove what a failed load added, and put moved tags back."""
    docker = _docker_py()

    for image in client.images.list(all=True):
        if image.id in images_before:
            continue
        for tag in image.tags:
            if tag in tags_before:
                repository, tag_name = tag.rsplit(":", 1)
                with contextlib.suppress(docker.errors.DockerException):
                    client.images.get(tags_before[tag]).tag(repository, tag_name)
        with contextlib.suppress(docker.errors.DockerException):
            client.images.remove(image.id, force=True)


def _get_id(client, name):
    docker = _docker_py()

    try:
        return client.images.get(name).id
    except docker.errors.ImageNotFound:
        return None


# docker-py's own read timeout must outlast the deadline: were the two equal,
# whichever timer fired first would decide whether a silent registry is
# reported by the deadline or as a bare "Read timed out".
_GRACE = 5


def _deadline(work, timeout, what):
    """Run ``work()`` with a deadline: docker-py waits for a registry without limit."""
    outcome = {}

    def run():
        try:
            outcome["result"] = work()
        except Exception as err:  # pylint: disable=broad-except
            outcome["error"] = err

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise CommandExecutionError(
            f"{what} got no answer within {timeout} s: the registry does not "
            "answer (check the name, the network and the registry)"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _secrets(auth):
    if auth is not None and not isinstance(auth, dict):
        raise SaltInvocationError("auth must be a mapping with username and password")
    return [
        v for k, v in (auth or {}).items() if k in ("password", "identitytoken", "registrytoken")
    ]


def registry_digest(name, auth=None, url=None, timeout=60):
    """
    Return the digest of the manifest the registry serves for ``name``, asked
    through the daemon (its registry settings and credentials apply); nothing
    is pulled.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.registry_digest registry.suse.com/bci/bci-base:15.6
    """
    secrets = _secrets(auth)
    client = _client(url, timeout=timeout + _GRACE)
    try:
        found = _deadline(
            lambda: client.api.inspect_distribution(normalize(name), auth_config=auth),
            timeout,
            f"asking the registry about {name}",
        )
        return found["Descriptor"]["digest"]
    except CommandExecutionError as err:
        raise CommandExecutionError(_clean(err, secrets)) from None
    except Exception as err:  # pylint: disable=broad-except
        raise CommandExecutionError(
            f"asking the registry about {name} failed: {_clean(err, secrets)}"
        ) from None
    finally:
        client.close()


def local_digest(name, url=None):
    """
    Return the registry digest the local image ``name`` was pulled with
    (from its RepoDigests), or None.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.local_digest registry.suse.com/bci/bci-base:15.6
    """
    full = normalize(name)
    repository = _split(full)[0]
    image = _local_image(name, full, url)
    if image is None:
        return None
    for entry in image.attrs.get("RepoDigests") or []:
        repo, _, digest = entry.partition("@")
        if repo == repository:
            return digest
    return None


def pull_image(name, auth=None, url=None, timeout=60):
    """
    Pull ``name`` from its registry; return ``{"id", "name", "old", "digest"}``.

    auth
        ``{"username": ..., "password": ...}`` (and optionally
        ``serveraddress``), e.g. from pillar; never shown anywhere.

    timeout
        Seconds the whole pull may take: a registry that does not answer, or
        stops answering, fails the pull then.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.pull_image registry.suse.com/bci/bci-base:15.6
    """
    secrets = _secrets(auth)
    repository, tag = _split(name)
    client = _client(url, timeout=timeout + _GRACE)

    def pull():
        old = _get_id(client, name)
        for event in client.api.pull(
            repository, tag=tag, stream=True, decode=True, auth_config=auth
        ):
            if event.get("error"):
                raise CommandExecutionError(event["error"])
        return {"id": client.images.get(normalize(name)).id, "name": name, "old": old}

    try:
        result = _deadline(pull, timeout, f"pulling {name}")
    except CommandExecutionError as err:
        if "no answer within" in str(err):
            raise CommandExecutionError(_clean(err, secrets)) from None
        raise CommandExecutionError(f"pulling {name} failed: {_clean(err, secrets)}") from None
    except Exception as err:  # pylint: disable=broad-except
        raise CommandExecutionError(f"pulling {name} failed: {_clean(err, secrets)}") from None
    finally:
        client.close()
    result["digest"] = local_digest(name, url=url)
    return result


# --------------------------------------------------------------------------
# Plan and apply, for the docker_host.image_loaded and image_present states
# --------------------------------------------------------------------------


def plan_load(name, source, url=None, saltenv="base"):
    """
    Return what loading the docker-archive ``source`` as ``name`` would change
    (the arguments of the ``docker_host.image_loaded`` state); load nothing.
    ``source`` is a local path or a ``salt://`` URL (fetched with
    ``cp.cache_file``). Idempotent by image ID: when ``name`` already points
    at the archive's image, ``changes`` is empty; when it points at another
    one, ``changes`` shows the old and new IDs. ``apply_load`` loads it.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.plan_load sles15/base:latest /srv/images/sles15-base.docker.tar.xz
    """
    path = source
    if str(source).startswith("salt://"):
        path = __salt__["cp.cache_file"](source, saltenv=saltenv)
        if not path:
            raise CommandExecutionError(f"{source} could not be fetched from the master")
    wanted = archive_image_id(path)
    current = image_id(normalize(name), url=url)
    planned = {"name": name, "source": source, "path": path, "url": url, "changes": {}}
    if current == wanted:
        return {**planned, "comment": f"{name} is already {wanted}."}
    planned["changes"] = {"image": {"old": current, "new": wanted}}
    return {**planned, "comment": f"{source} would be loaded as {name}."}


def apply_load(planned):
    """
    Load the archive of a plan from ``plan_load`` and tag it. Return
    ``{"result", "changes", "comment"}``.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_images.plan_load base:15 /srv/base.tar | jq -c .local)
        salt-call docker_images.apply_load "$plan"
    """
    load_image(planned["path"], planned["name"], url=planned["url"])
    return {
        "result": True,
        "changes": planned["changes"],
        "comment": f"{planned['source']} was loaded as {planned['name']}.",
    }


def plan_pull(name, force=False, auth=None, url=None, timeout=60):
    """
    Return what pulling ``name`` would change (the arguments of the
    ``docker_host.image_present`` state); pull nothing. A missing image is
    pulled; with ``force``, also one whose registry serves another manifest
    than the one the local image came from. ``changes`` names the manifest
    digests, old and new: the registry is asked for its digest. ``auth``
    reaches the registry and never the plan, a log or an error.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_images.plan_pull registry.example.com/bci/bci-base:15.6 force=True
    """
    planned = {"name": name, "url": url, "timeout": timeout, "changes": {}}
    current = image_id(normalize(name), url=url)
    if current and not force:
        return {**planned, "comment": f"{name} is present ({current})."}
    remote = registry_digest(name, auth=auth, url=url, timeout=timeout)
    local = local_digest(name, url=url) if current else None
    if current and local == remote:
        return {**planned, "comment": f"{name} is what the registry serves ({remote})."}
    planned["changes"] = {"digest": {"old": local, "new": remote}}
    return {**planned, "comment": f"{name} would be pulled."}


def apply_pull(planned, auth=None):
    """
    Pull the image of a plan from ``plan_pull``, with the registry
    credentials ``auth`` (never part of the plan). Return ``{"result",
    "changes", "comment"}``; ``changes`` names the digest really pulled.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_images.plan_pull busybox:1.36 | jq -c .local)
        salt-call docker_images.apply_pull "$plan"
    """
    pulled = pull_image(planned["name"], auth=auth, url=planned["url"], timeout=planned["timeout"])
    old = planned["changes"]["digest"]["old"]
    return {
        "result": True,
        "changes": {"digest": {"old": old, "new": pulled["digest"]}},
        "comment": f"{planned['name']} was pulled ({pulled['id']}).",
    }
