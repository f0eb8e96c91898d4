#!/usr/bin/env bash
# The whole suite on a Monday at 09:05 (Europe/Paris, the demo community's time zone), the hour the weekly agenda is
# pushed: tests must not depend on the real date. Every clock is moved by the same offset (libfaketime: the tests, the
# services they start, Synapse, Mailman and a throwaway PostgreSQL of the session's own, so the leases read on the
# database's clock agree with the processes'). Monotonic clocks move too: libfaketime 0.9.10 turns Python's sleeps into
# EINVAL when they alone stay real.
# Usage: bash tests/peers/on_monday.sh [pytest arguments]   (needs Debian's faketime package)
set -euo pipefail
cd "$(dirname "$0")/../.."
lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1 || true)
if [ -z "$lib" ]; then
  echo "libfaketime is missing: apt-get install faketime" >&2
  exit 2
fi
offset=$(python3 -c '
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
now = datetime.now(ZoneInfo("Europe/Paris"))
monday = (now - timedelta(days=now.weekday())).replace(hour=9, minute=5, second=0, microsecond=0)
if monday > now:
    monday -= timedelta(days=7)
print(int((monday - now).total_seconds()))')
echo "clocks moved by ${offset} s: $(date -d "@$(( $(date +%s) + offset ))" '+%A %F %T %Z')"
export LD_PRELOAD="$lib" FAKETIME="${offset}" FAKETIME_DONT_FAKE_MONOTONIC=0 RELAIS_TEST_POSTGRES=throwaway
export RELAIS_PEERS_DIR="${RELAIS_PEERS_DIR:-$HOME/.cache/relais-peers}"
# The sink's own timeout test waits on a condition with a timeout that libfaketime never lets expire: left out.
exec "${PYTHON:-.venv/bin/python}" -m pytest -n "${TEST_WORKERS:-auto}" --dist loadgroup \
  --deselect tests/peers/test_mailman_peer.py::test_sink_wait_for_times_out_with_a_summary "$@"
