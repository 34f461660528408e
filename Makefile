# suse-docker-host
#   make demo    set up .venv and run the main job on the embedded SUSE default
#   make test    install what the tests need (Debian/SUSE packages too, as root),
#                lint, and run the whole suite, destructive tests included
#   make bench   in-process timings
#   make mutate  mutation testing of the planners, the sysconfig engine, the
#                pillar schema and the file writer, with the kill rate
#   make lint | make format

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: demo test lint format bench mutate system-packages clean

$(STAMP): tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -r tests/requirements.txt
	touch $@

system-packages:
	@sh tools/install-system-packages

demo: $(STAMP)
	@bash demo/run $(BIN)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/salt-lint docker_host/*.sls pillar-example/top.sls pillar-example/docker_host/*.sls

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: system-packages lint
	$(BIN)/python -m pytest --run-destructive

bench: $(STAMP)
	$(BIN)/python tests/bench/bench_sysconfig.py
	$(BIN)/python tests/bench/bench_docker_host.py
	$(BIN)/python tests/bench/bench_daemon.py
	$(BIN)/python tests/bench/bench_formula.py
	$(BIN)/python tests/bench/bench_images.py

mutate: system-packages $(STAMP)
	$(BIN)/python tools/mutate.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache mutants
