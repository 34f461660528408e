# suse-docker-host
#   make demo    set up .venv and run the main job on the embedded SUSE default
#   make test    install what the tests need (Debian/SUSE packages too, as root),
#                lint, and run the whole suite, destructive tests included
#   make guest   boot the SLES-like guest the tests use, to look at it
#   make bench   in-process timings
#   make mutate  mutation testing of the planners, the sysconfig engine, the
#                pillar schema and the file writer, with the kill rate
#   make lint | make format

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: demo test test-salt-lines test-highstate-oldest guest lint format bench mutate system-packages clean

$(STAMP): tests/requirements.txt tests/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -r tests/requirements.txt -c tests/constraints.txt
	touch $@

system-packages:
	@sh tools/install-system-packages

demo: $(STAMP)
	@bash demo/run $(BIN)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/salt-lint docker_host/*.sls docker_host/*/*.sls pillar-example/top.sls pillar-example/docker_host/*.sls

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The Salt releases the unit suite also runs on, besides .venv's: the oldest and
# the newest of each supported line. Each has a virtualenv of its own, installed
# from its lock in tests/salt-lines/ exactly (--no-deps: some of these releases
# publish dependency metadata that pip cannot use, see the README). They live
# outside the checkout: tests copy the checkout and hand it to Salt as
# file_roots, and 1.4 GB of virtualenvs there would be copied and walked too.
SALT_LINES := 3006.0 3006.30 3008.0 3008.5
SALT_LINES_DIR ?= $(HOME)/.cache/suse-docker-host/salt-lines

# Kept (make would remove a pattern rule's target after the run).
.PRECIOUS: $(SALT_LINES_DIR)/%/.installed
$(SALT_LINES_DIR)/%/.installed: tests/salt-lines/%.txt
	rm -rf $(SALT_LINES_DIR)/$*
	$(PYTHON) -m venv $(SALT_LINES_DIR)/$*
	$(SALT_LINES_DIR)/$*/bin/python -m pip --quiet --disable-pip-version-check install --no-deps -r $<
	touch $@

# On each release, the unit and functional suites in two passes: first every
# test that shares nothing of this machine, on all cores (pytest-xdist); then
# the destructive ones, one at a time. test_mutate needs mutmut, which only
# .venv has: it runs with the integration suite. The releases between the
# oldest and the newest leave out the tests that run salt-call in a process
# of its own (own_process): the releases around them run those, and the
# loader-level tests, which run on every release, reach the same code.
LINE_TESTS := -q -p no:cacheprovider tests/unit tests/functional --ignore=tests/unit/test_mutate.py
EDGE_LINES := 3006.0 3008.5

test-salt-%: $(SALT_LINES_DIR)/%/.installed
	$(SALT_LINES_DIR)/$*/bin/python -m pytest -n auto $(LINE_TESTS) $(if $(filter $*,$(EDGE_LINES)),,-m "not own_process")
	$(SALT_LINES_DIR)/$*/bin/python -m pytest --run-destructive -m destructive_test $(LINE_TESTS)

test-salt-lines: $(addprefix test-salt-,$(SALT_LINES))

# The real master and minions run the formula's highstate on the oldest
# release of Salt (SUSE's Salt Bundle is 3006.0) as well as on .venv's.
HIGHSTATE_TESTS := tests/integration/test_formula_highstate.py tests/integration/test_master_minion.py

test-highstate-oldest: $(SALT_LINES_DIR)/3006.0/.installed
	$(SALT_LINES_DIR)/3006.0/bin/python -m pytest -q -p no:cacheprovider --run-destructive $(HIGHSTATE_TESTS)

# KIWI, which the integration suite builds images with, in a virtualenv of
# its own (its dependencies are not Salt's concern), from its lock exactly.
# tests/integration/test_kiwi_proof.py finds it there.
KIWI_VENV ?= $(HOME)/.cache/suse-docker-host/kiwi

$(KIWI_VENV)/.installed: tests/kiwi.txt
	rm -rf $(KIWI_VENV)
	$(PYTHON) -m venv $(KIWI_VENV)
	$(KIWI_VENV)/bin/python -m pip --quiet --disable-pip-version-check install --no-deps -r $<
	touch $@

# A booted SLES-like host (tests/guest.py): a Debian userland that presents
# as SLES 15 SP6, with systemd, zypper and rpm, booted with systemd-nspawn.
# Its root file system is built once and cached; the guest's Salt comes from
# the locks of these two releases. Ctrl-C powers it off.
GUEST_SALT := 3006.0 3008.5

guest: system-packages $(STAMP) $(foreach line,$(GUEST_SALT),$(SALT_LINES_DIR)/$(line)/.installed)
	$(BIN)/python -m tests.guest

# Then, on .venv's Salt: the integration suite (real daemons, one at a time).
test: system-packages lint test-salt-lines test-highstate-oldest $(KIWI_VENV)/.installed \
		$(foreach line,$(GUEST_SALT),$(SALT_LINES_DIR)/$(line)/.installed)
	$(BIN)/python -m pytest --run-destructive tests/integration tests/unit/test_mutate.py

bench: $(STAMP)
	$(BIN)/python tests/bench/bench_sysconfig.py
	$(BIN)/python tests/bench/bench_docker_host.py
	$(BIN)/python tests/bench/bench_daemon.py
	$(BIN)/python tests/bench/bench_formula.py
	$(BIN)/python tests/bench/bench_images.py
	$(BIN)/python tests/bench/bench_drift.py

mutate: system-packages $(STAMP)
	$(BIN)/python tools/mutate.py

clean:
	rm -rf $(VENV) $(SALT_LINES_DIR) $(KIWI_VENV) build dist *.egg-info .pytest_cache .ruff_cache mutants
