#!/usr/bin/env bash
# Installs GNU Mailman 3 core into its own virtualenv for the test peers; idempotent.
#
# Mailman pins its own dependency world (SQLAlchemy, falcon, zope...), so it never
# shares the project venv. The venv lives in ${RELAIS_PEERS_DIR:-~/.cache/relais-peers}.
# Prints the venv path on the last line of stdout.
set -euo pipefail

peers_dir="${RELAIS_PEERS_DIR:-$HOME/.cache/relais-peers}"
venv="$peers_dir/mailman-venv"
python="${RELAIS_PEERS_PYTHON:-python3}"
log="$peers_dir/install-mailman.log"
stamp="$venv/.relais-installed"

# The exact set Mailman 3.3.10 was proven to start and pass tests/peers with on
# Python 3.11. Load-bearing pins:
#   SQLAlchemy<2.1  2.1 breaks Mailman's REST API.
#   gunicorn<25     25+ opens a control socket in $HOME/.gunicorn by default, which
#                   concurrent Mailman instances (parallel test runs) fight over.
# The rest are pinned so a new upstream release cannot break the suite overnight.
requirements="mailman==3.3.10
aiosmtpd==1.4.6
alembic==1.20.1
atpublic==9.0.0
attrs==26.1.0
authheaders==0.16.3
authres==1.2.0
click==8.5.1
dkimpy==1.1.8
dnspython==2.9.2
falcon==4.4.0
flufl.bounce==6.0.0
flufl.i18n==8.0.0
flufl.lock==10.0.0
greenlet==3.5.6
gunicorn==23.0.0
lazr.config==4.0.0
lazr.delegates==4.0.0
Mako==1.4.3
MarkupSafe==3.0.4
packaging==26.3
passlib==1.7.4
psutil==7.2.2
publicsuffix2==2.20191221
python-dateutil==4.0.0
requests==2.34.2
SQLAlchemy==2.0.58
typing_extensions==4.16.0
zope.component==7.1
zope.configuration==7.1
zope.event==6.2
zope.hookable==8.4
zope.i18nmessageid==8.4
zope.interface==8.7
zope.schema==8.1"

log_is_ours=no
fail() {
    echo "install_mailman.sh: $*" >&2
    if [[ "$log_is_ours" == yes && -s "$log" ]]; then
        echo "---- last lines of $log ----" >&2
        tail -n 40 "$log" >&2
    fi
    exit 1
}

command -v "$python" >/dev/null 2>&1 || fail "no '$python' interpreter on PATH (set RELAIS_PEERS_PYTHON)"
mkdir -p "$peers_dir" || fail "cannot create $peers_dir"

# The stamp records the interpreter and the requirement set, so changing either reinstalls.
py_id="$("$python" -c 'import sys; print(sys.version.split()[0], sys.base_prefix)')" \
    || fail "'$python' does not run"
want="$(printf '%s\n%s\n' "$py_id" "$requirements" | sha256sum | cut -d' ' -f1)"

installed() {
    [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/master" ]] \
        && "$venv/bin/python" -c 'import mailman.version' >/dev/null 2>&1
}

if installed; then
    echo "$venv"
    exit 0
fi

# Serialise concurrent test sessions on one machine: one installs, the others wait.
exec 9>"$peers_dir/.install.lock"
flock -w 600 9 || fail "timed out waiting for another install to finish"
if installed; then
    echo "$venv"
    exit 0
fi

echo "install_mailman.sh: installing Mailman 3 core into $venv (log: $log)" >&2
: >"$log"
log_is_ours=yes
rm -rf "$venv"
"$python" -m venv "$venv" >>"$log" 2>&1 || fail "python -m venv failed"
req_file="$venv/relais-requirements.txt"
printf '%s\n' "$requirements" >"$req_file"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input -r "$req_file" >>"$log" 2>&1 \
    || fail "pip install failed"
"$venv/bin/mailman" --version >>"$log" 2>&1 || fail "installed mailman does not run"
echo "$want" >"$stamp"
echo "$venv"
