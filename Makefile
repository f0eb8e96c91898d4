# Relais: `make run` starts it on its embedded defaults, `make test` runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PEERS_DIR ?= $(HOME)/.cache/relais-peers
# Test workers: one per core (pytest-xdist); TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= auto

.PHONY: install run test peers bench catalogs env-example fuzz

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

run: install
	$(VENV)/bin/relais run

# The peer servers (Synapse, Mailman 3) live in their own virtualenvs under $(PEERS_DIR); PostgreSQL's binaries are
# installed when no server answers on 127.0.0.1:5432 and none are there (the tests then start a throwaway server).
peers:
	RELAIS_PEERS_DIR=$(PEERS_DIR) bash tests/peers/install_postgres.sh
	RELAIS_PEERS_DIR=$(PEERS_DIR) bash tests/peers/install_synapse.sh
	RELAIS_PEERS_DIR=$(PEERS_DIR) bash tests/peers/install_mailman.sh

# The checks first (ruff, mypy: configured in pyproject.toml), then the whole test suite.
test: install peers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	RELAIS_PEERS_DIR=$(PEERS_DIR) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

# The property-based fuzzing at length (the suite runs it with a short profile).
fuzz: install
	HYPOTHESIS_PROFILE=long $(PY) -m pytest tests/fuzz

bench: install
	$(PY) bench/core.py

catalogs: install
	$(PY) -m bot.locale.update

env-example: install
	$(PY) -m bot.config > .env.example
