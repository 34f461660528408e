"""Functional tests: the extension's modules through Salt's own loader, in-process."""

import pytest
from saltfactories.utils.functional import Loaders

from tests.conftest import REPO_ROOT


@pytest.fixture(scope="package")
def minion_opts(salt_factories, tmp_path_factory):
    state_tree = tmp_path_factory.mktemp("state-tree")
    factory = salt_factories.salt_minion_daemon(
        "functional-minion",
        overrides={
            "file_client": "local",
            "file_roots": {"base": [str(state_tree)]},
            # module_dirs takes the repository's _modules, _states and _grains.
            "module_dirs": [str(REPO_ROOT)],
        },
    )
    return factory.config.copy()


@pytest.fixture(scope="package")
def loaders(minion_opts):
    return Loaders(minion_opts, loaded_base_name=f"{__name__}.loaded")


@pytest.fixture(autouse=True)
def reset_loaders_state(loaders):
    try:
        yield
    finally:
        loaders.reset_state()


@pytest.fixture
def modules(loaders):
    return loaders.modules


@pytest.fixture
def states(loaders):
    return loaders.states
