#!/usr/bin/env bash
# Makes sure the tests can have a PostgreSQL: a server on 127.0.0.1:5432, or the binaries (initdb, pg_ctl) for the
# throwaway server the test session starts itself (tests/peers/postgres.py). Idempotent.
set -euo pipefail

PEERS_DIR="${RELAIS_PEERS_DIR:-$HOME/.cache/relais-peers}"
PYTHON="${RELAIS_PEERS_PYTHON:-python3}"

have_binaries() {
    command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null \
        || compgen -G "$PEERS_DIR/postgres-venv/lib/python*/site-packages/pgserver/pginstall/bin/initdb" >/dev/null
}

if [[ -n "${RELAIS_TEST_POSTGRES:-}" && "${RELAIS_TEST_POSTGRES}" != "throwaway" ]]; then
    echo "PostgreSQL for the tests: $RELAIS_TEST_POSTGRES (RELAIS_TEST_POSTGRES)"
    exit 0
fi
if have_binaries; then
    echo "PostgreSQL binaries present: the tests use 127.0.0.1:5432 when it answers, else a throwaway server"
    exit 0
fi
# The system's packages where we may install them; else a packaged build in a virtualenv of the peers.
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
    echo "install_postgres.sh: installing PostgreSQL's binaries (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
else
    echo "install_postgres.sh: installing a packaged PostgreSQL (pgserver) into $PEERS_DIR/postgres-venv"
    mkdir -p "$PEERS_DIR"
    "$PYTHON" -m venv "$PEERS_DIR/postgres-venv"
    "$PEERS_DIR/postgres-venv/bin/pip" install --quiet pgserver
fi
have_binaries || { echo "install_postgres.sh: ERROR: no initdb after installing" >&2; exit 1; }
