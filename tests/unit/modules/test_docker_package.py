"""docker_package's lock plan against zypper's locks as Salt's zypper module
reads them (pkg.list_locks). The guest test (test_booted_host.py) takes and
releases a real zypper lock; here zypper's answers are given, since zypper
cannot run on this machine outside the guest."""

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.unit.conftest import _load


class Zypper:
    """pkg.list_locks, pkg.hold and pkg.unhold over a dict of locks, as Salt's
    zypper module keeps them (version "= 24.0.7_ce")."""

    def __init__(self, locks=None):
        self.locks = dict(locks or {})
        self.calls = []

    def list_locks(self, root=None):
        self.calls.append(("list_locks", root))
        return dict(self.locks)

    def hold(self, pkgs, root=None):
        self.calls.append(("hold", pkgs, root))
        for target in pkgs:
            name, version = next(iter(target.items())) if isinstance(target, dict) else (target, "")
            self.locks[name] = {
                "type": "package",
                **({"version": f"= {version}"} if version else {}),
            }

    def unhold(self, pkgs, root=None):
        self.calls.append(("unhold", pkgs, root))
        for name in pkgs:
            self.locks.pop(name, None)


@pytest.fixture
def package():
    module = _load("_modules/docker_package.py")
    zypper = Zypper()
    module.__salt__ = {
        "pkg.list_locks": zypper.list_locks,
        "pkg.hold": zypper.hold,
        "pkg.unhold": zypper.unhold,
        # What hold_apply records is tested through the loader
        # (tests/functional/test_host_record.py).
        "docker_host_record.note_value": lambda *args, **kwargs: None,
    }
    module.zypper = zypper
    return module


@pytest.mark.parametrize(
    "locks, version, hold, changes",
    [
        ({}, "24.0.7_ce", True, {"old": "not held", "new": "held at 24.0.7_ce"}),
        ({}, None, True, {"old": "not held", "new": "held (every version)"}),
        ({"docker": {"version": "= 20.10.24"}}, "24.0.7_ce", True,
         {"old": "held at 20.10.24", "new": "held at 24.0.7_ce"}),
        ({"docker": {}}, None, False, {"old": "held (every version)", "new": "not held"}),
        ({"docker": {"version": "= 24.0.7_ce"}}, "24.0.7_ce", True, None),
        ({}, None, False, None),
        # A lock of another kind (a pattern) is not the package's.
        ({"docker": {"type": "pattern"}}, None, True,
         {"old": "not held", "new": "held (every version)"}),
    ],
)  # fmt: skip
def test_the_plan_names_the_lock_and_apply_leaves_exactly_it(
    package, locks, version, hold, changes
):
    package.zypper.locks = dict(locks)
    planned = package.hold_plan("docker", version=version, hold=hold, root="/srv/image")
    assert planned["changes"] == ({"docker": changes} if changes else {})
    done = package.hold_apply(planned)
    assert done["result"] is True
    assert done["changes"] == planned["changes"]
    again = package.hold_plan("docker", version=version, hold=hold, root="/srv/image")
    assert again["changes"] == {}
    # Every call went to the image root's locks.
    assert all(call[-1] == "/srv/image" for call in package.zypper.calls)


def test_a_lock_changed_after_the_plan_is_not_written_over(package):
    planned = package.hold_plan("docker", version="24.0.7_ce")
    package.zypper.locks["docker"] = {"version": "= 25.0.1"}
    with pytest.raises(CommandExecutionError) as changed:
        package.hold_apply(planned)
    assert "the lock of docker changed after the plan was made" in str(changed.value)
    assert package.zypper.locks == {"docker": {"version": "= 25.0.1"}}


def test_a_lock_zypper_did_not_take_fails(package):
    planned = package.hold_plan("docker", version="24.0.7_ce")
    package.__salt__["pkg.hold"] = lambda pkgs, root=None: None
    done = package.hold_apply(planned)
    assert done["result"] is False
    assert done["comment"] == (
        "docker should be held at 24.0.7_ce, but zypper's locks say not held"
    )


@pytest.mark.parametrize(
    "salt, arguments, error, words",
    [
        ({}, {}, CommandExecutionError, "package:hold needs zypper's locks (SUSE)"),
        (None, {"hold": "yes"}, SaltInvocationError, "hold must be true or false"),
        (None, {"version": ">=24"}, SaltInvocationError, "package:hold holds one version"),
    ],
)
def test_what_cannot_be_held_is_refused(package, salt, arguments, error, words):
    if salt is not None:
        package.__salt__ = salt
    with pytest.raises(error) as refused:
        package.hold_plan("docker", **arguments)
    assert words in str(refused.value)
