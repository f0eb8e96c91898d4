"""`relais status`: the processes alive, who holds which role, the queues' depths and their oldest waiting item."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from bot.runtime.queues import QUEUES, queues
from bot.runtime.queues import iso as _iso


def add_parser(sub) -> None:
    s = sub.add_parser("status", help="the processes alive, who holds which role, the queues and their oldest waiting item")
    s.add_argument("--json", action="store_true", help="one JSON object instead of the text")


async def gather(failover: float) -> dict:
    """What `relais status` shows, as data (the times are the database's)."""
    from bot.runtime.processes import database_now
    from models import ProcessRole, RelaisProcess

    now = await database_now()
    lease = timedelta(seconds=failover * 2 / 3)
    processes = await RelaisProcess.all().order_by("started_at")
    roles = await ProcessRole.all().order_by("role")
    by_id = {p.id: p for p in processes}
    return {
        "now": _iso(now),
        "processes": [{"id": p.id, "host": p.host, "pid": p.pid, "started_at": _iso(p.started_at), "seen_at": _iso(p.seen_at),
                       "alive": p.seen_at >= now - lease, "roles": [r.role for r in roles if r.holder == p.id and r.expires_at >= now]}
                      for p in processes],
        "roles": [{"role": r.role, "holder": r.holder, "host": by_id[r.holder].host if r.holder in by_id else None,
                   "pid": by_id[r.holder].pid if r.holder in by_id else None, "taken_at": _iso(r.taken_at),
                   "expires_at": _iso(r.expires_at), "expired": r.expires_at < now} for r in roles],
        "queues": await queues(now),
    }


def text(status: dict) -> str:
    now = datetime.fromisoformat(status["now"])
    alive = [p for p in status["processes"] if p["alive"]]
    lines = [f"processes: {len(alive)} alive" + (f", {len(status['processes']) - len(alive)} not seen lately"
                                                 if len(alive) < len(status["processes"]) else "")]
    for p in status["processes"]:
        seen = _ago(now, p["seen_at"])
        state = "" if p["alive"] else "  (not seen lately: taken for dead)"
        lines.append(f"  {p['host']}:{p['pid']}  started {p['started_at'][:19].replace('T', ' ')}  seen {seen}  "
                     f"roles: {', '.join(p['roles']) or '-'}{state}")
    lines.append("roles:" + ("" if status["roles"] else " none held"))
    for r in status["roles"]:
        who = f"{r['host']}:{r['pid']}" if r["host"] else f"process {r['holder']} (gone)"
        expires = (datetime.fromisoformat(r["expires_at"]) - now).total_seconds()
        lease = f"lease over {-expires:.0f} s ago" if r["expired"] else f"lease renewed, {expires:.0f} s left"
        lines.append(f"  {r['role']:<10} {who}  since {r['taken_at'][:19].replace('T', ' ')}  {lease}")
    lines.append(f"queues:            {'waiting':>8}  {'oldest':<16}{'parked':>7}")
    for name in QUEUES:
        q = status["queues"][name]
        oldest = _ago(now, q["oldest"]) if q["oldest"] else "-"
        held = f"  ({q['held']} held for an unconfirmed address)" if q.get("held") else ""
        lines.append(f"  {name:<17}{q['waiting']:>8}  {oldest:<16}{q['parked']:>7}{held}")
    return "\n".join(lines)


async def run(app, args) -> int:
    status = await gather(app.settings.core.failover_s)
    print(json.dumps(status, indent=2) if args.json else text(status))
    return 0


def _ago(now: datetime, iso: str) -> str:
    seconds = max(0, int((now - datetime.fromisoformat(iso)).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"
