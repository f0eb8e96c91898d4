#!/usr/bin/env bash
# Installs a pinned matrix-synapse into its own virtualenv for the peer tests; idempotent.
set -euo pipefail

SYNAPSE_VERSION="${RELAIS_SYNAPSE_VERSION:-1.163.2}"
PEERS_DIR="${RELAIS_PEERS_DIR:-$HOME/.cache/relais-peers}"
VENV="$PEERS_DIR/synapse-venv"
PYTHON="${RELAIS_PEERS_PYTHON:-python3}"

die() {
    echo "install_synapse.sh: ERROR: $*" >&2
    exit 1
}

installed_version() {
    "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("matrix-synapse"))' 2>/dev/null || true
}

# Fast path: the venv already holds the pinned version.
if [[ -x "$VENV/bin/python" && "$(installed_version)" == "$SYNAPSE_VERSION" ]]; then
    echo "matrix-synapse $SYNAPSE_VERSION already installed in $VENV"
    exit 0
fi

mkdir -p "$PEERS_DIR" || die "cannot create $PEERS_DIR"

# Parallel test sessions (pytest-xdist workers, two checkouts) share this venv:
# one installs while the others wait, then take the fast path.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$PEERS_DIR/.install-synapse.lock"
    flock 9 || die "cannot lock $PEERS_DIR/.install-synapse.lock"
    if [[ -x "$VENV/bin/python" && "$(installed_version)" == "$SYNAPSE_VERSION" ]]; then
        echo "matrix-synapse $SYNAPSE_VERSION installed in $VENV by a concurrent run"
        exit 0
    fi
fi

# A venv left broken by an interrupted run (no working python) is rebuilt from scratch.
if [[ -d "$VENV" ]] && ! "$VENV/bin/python" -c 'pass' 2>/dev/null; then
    echo "removing broken virtualenv $VENV"
    rm -rf "$VENV"
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating virtualenv $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV" || die "python3 -m venv failed (is the venv module installed?)"
fi

echo "installing matrix-synapse==$SYNAPSE_VERSION into $VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip \
    || die "pip upgrade failed in $VENV"
"$VENV/bin/python" -m pip install --quiet "matrix-synapse==$SYNAPSE_VERSION" \
    || die "pip install matrix-synapse==$SYNAPSE_VERSION failed"

got="$(installed_version)"
[[ "$got" == "$SYNAPSE_VERSION" ]] || die "expected matrix-synapse $SYNAPSE_VERSION in $VENV, found '${got:-nothing}'"
"$VENV/bin/python" -c 'import synapse.app.homeserver' \
    || die "matrix-synapse $SYNAPSE_VERSION installed but synapse.app.homeserver does not import"

echo "matrix-synapse $SYNAPSE_VERSION installed in $VENV"
