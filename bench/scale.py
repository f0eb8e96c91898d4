"""Several `relais run` processes on one PostgreSQL database: 1, 2 and 3 processes on this machine, and the failover.

(1) Outbox delivery: one news item to 10,000 Telegram followers = 10,000 notifications, delivered by every process
(claims with SKIP LOCKED) to a discarding Bot API sink (its own process: it answers each call and counts it);
notifications/s from the first send to the last, and the ratio to one process measured in the same run.
(2) Inbound commands: `/projects` from 500 people, 4 each, posted round robin to the processes' webhook endpoints
as a load balancer would (64 in flight), until every reply reached the sink; commands/s and the ratio to one process.
(3) Failover: two processes polling (the sink serves getUpdates), the poller killed with SIGKILL, a message queued at
once: seconds from the kill to its reply (the new holder took the role and handled it), RELAIS_FAILOVER_S at its
default (15 s).
(4) One Telegram rate for the whole bot: the processes with RELAIS_TELEGRAM_GLOBAL_RATE at Telegram's 30/s deliver a
news item to `--rate-sends` followers; the rate they reach together (goal >= 95 % of 30/s) and the busiest second
the sink saw (goal <= 30), min/median/max of `--runs` runs, beside one process alone in the same run.
The sink alone (the same calls from one client, 64 in flight) is printed as the ceiling of what can be measured.
Run: .venv/bin/python bench/scale.py [--followers 10000] [--people 500] [--messages 4] [--processes 3]
     [--rate-sends 600] [--runs 3] [--only-rate]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
from aiohttp import web  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("RELAIS_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
TOKEN = "555:SCALE"
BOT = {"id": 555, "is_bot": True, "first_name": "Relais", "username": "relais_bot", "can_join_groups": True,
       "can_read_all_group_messages": False, "supports_inline_queries": False}
FIRST_ID = 700_000  # Telegram ids of the seeded followers


# -- the sink: a Bot API that answers everything and keeps nothing but counts -----------------------------------

def sink_app() -> web.Application:
    state = {"sent": 0, "first": 0.0, "last": 0.0, "chats": {}, "updates": [], "changed": asyncio.Event(), "times": []}

    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await request.json() if request.body_exists else {}
        except ValueError:
            params = dict(await request.post())
        result: object = True
        if method == "getMe":
            result = BOT
        elif method == "getUpdates":
            offset = int(params.get("offset") or 0)
            state["updates"] = [u for u in state["updates"] if u["update_id"] >= offset]
            deadline = time.monotonic() + float(params.get("timeout") or 0)
            while not state["updates"] and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(state["changed"].wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
            result = state["updates"][:100]
        elif method == "sendMessage":
            now = time.monotonic()
            state["sent"] += 1
            state["first"] = state["first"] or now
            state["last"] = now
            state["times"].append(now)
            chat = int(params["chat_id"])
            state["chats"][chat] = state["chats"].get(chat, 0) + 1
            result = {"message_id": state["sent"], "date": int(time.time()), "chat": {"id": chat, "type": "private"},
                      "from": BOT, "text": params.get("text", "")}
        return web.json_response({"ok": True, "result": result})

    async def stats(request: web.Request) -> web.Response:
        chat = request.query.get("chat")
        times, busiest, j = state["times"], 0, 0
        for i, start in enumerate(times):  # the most sends in any one-second window
            while j < len(times) and times[j] < start + 1.0:
                j += 1
            busiest = max(busiest, j - i)
        return web.json_response({"sent": state["sent"], "span": state["last"] - state["first"], "busiest": busiest,
                                  "chat": state["chats"].get(int(chat), 0) if chat else None})

    async def reset(request: web.Request) -> web.Response:
        state.update(sent=0, first=0.0, last=0.0, chats={}, times=[])
        return web.json_response({})

    async def queue(request: web.Request) -> web.Response:
        state["updates"].append(await request.json())
        state["changed"].set()
        state["changed"] = asyncio.Event()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api)
    app.router.add_get("/_stats", stats)
    app.router.add_post("/_reset", reset)
    app.router.add_post("/_queue", queue)
    return app


TICK = os.sysconf("SC_CLK_TCK")


def cpu(pids: list[int]) -> float:
    """CPU seconds used so far by these processes (user + system)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def busy() -> float:
    """CPU seconds the whole machine spent working so far (every core)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / TICK


class Usage:
    """Who used the cores during a phase: the Relais processes, the sink, and the rest (PostgreSQL, this client)."""

    def __init__(self, relais: list[int], sink: int):
        self.relais, self.sink = relais, sink
        self.start = (time.monotonic(), busy(), cpu(relais), cpu([sink]))

    def end(self) -> dict:
        wall, machine, relais, sink = (time.monotonic(), busy(), cpu(self.relais), cpu([self.sink]))
        wall -= self.start[0]
        used = {"relais": relais - self.start[2], "sink": sink - self.start[3]}
        used["rest"] = machine - self.start[1] - used["relais"] - used["sink"]
        return {name: seconds / wall for name, seconds in used.items()}  # in cores


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--sink", str(port)], cwd=ROOT)
    wait_port(port)
    return proc, f"http://127.0.0.1:{port}"


def wait_port(port: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing listens on {port}") from None
            time.sleep(0.05)


# -- the database and the Relais processes -------------------------------------------------------------------

async def seed(url: str, followers: int) -> None:
    """The demo community, and `followers` people with a Telegram account, members following one project."""
    from bot.app import App
    from bot.config import Settings
    from bot.services import demo
    from models import Account, Community, Follow, Membership, Person, Project, Role

    app = App(Settings(data_dir=Path(tempfile.mkdtemp()), database_url=url, log_level="WARNING"), listen=False)
    await app.start()
    await demo.seed("me", app.clock())
    community = await Community.get(slug=demo.SLUG)
    project = await Project.get(slug="dombes-brasserie")
    await Person.bulk_create([Person(display_name=f"Follower {n}", locale="en") for n in range(followers)], batch_size=1000)
    ids = await Person.filter(display_name__startswith="Follower ").order_by("id").values_list("id", flat=True)
    await Account.bulk_create([Account(person_id=pid, platform="telegram", address=str(FIRST_ID + n), preferred=True)
                               for n, pid in enumerate(ids)], batch_size=1000)
    await Membership.bulk_create([Membership(person_id=pid, community_id=community.id, role=Role.MEMBER) for pid in ids],
                                 batch_size=1000)
    await Follow.bulk_create([Follow(person_id=pid, project_id=project.id) for pid in ids], batch_size=1000)
    await app.stop()


async def post_news(url: str) -> None:
    from bot.app import App
    from bot.config import Settings
    from bot.core.incoming import Incoming

    app = App(Settings(data_dir=Path(tempfile.mkdtemp()), database_url=url, log_level="WARNING"), listen=False)
    await app.start()
    reply = await app.dispatcher.handle(Incoming(platform="console", address="me", text="/news dombes-brasserie Brewing day"))
    assert reply is not None and not reply.error
    await app.stop()


def relais(url: str, sink: str, data: Path, webhook_port: int | None, **extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env.update(RELAIS_DATA_DIR=str(data), RELAIS_DATABASE_URL=url, RELAIS_LOG_LEVEL="WARNING", RELAIS_TELEGRAM_TOKEN=TOKEN,
               RELAIS_TELEGRAM_API_URL=sink, RELAIS_TELEGRAM_GLOBAL_RATE="1000000", RELAIS_TELEGRAM_CHAT_RATE="1000000",
               RELAIS_MAIL_LISTEN="", RELAIS_WEB_LISTEN="", RELAIS_DELIVERY_INTERVAL="0.2")
    env.update(extra)
    if webhook_port is not None:
        env.update(RELAIS_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{webhook_port}/hook",
                   RELAIS_TELEGRAM_WEBHOOK_LISTEN=f"127.0.0.1:{webhook_port}")
    data.mkdir(parents=True, exist_ok=True)
    with open(data / "stderr.log", "w") as err:
        return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=60)


async def sink_stats(http: aiohttp.ClientSession, sink: str, chat: int | None = None) -> dict:
    async with http.get(f"{sink}/_stats", params={"chat": str(chat)} if chat else {}) as response:
        return await response.json()


async def wait_sent(http: aiohttp.ClientSession, sink: str, count: int, timeout: float = 600.0) -> dict:
    deadline = time.monotonic() + timeout
    while (stats := await sink_stats(http, sink))["sent"] < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {stats['sent']} of {count} messages reached the sink within {timeout:.0f} s")
        await asyncio.sleep(0.05)
    return stats


def update(update_id: int, user: int, text: str) -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": int(time.time()), "text": text,
            "chat": {"id": user, "type": "private"}, "from": {"id": user, "is_bot": False, "first_name": "F", "language_code": "en"}}}


async def post_all(http: aiohttp.ClientSession, targets: list[str], bodies: list[dict], headers: dict, in_flight: int = 64) -> None:
    queue = list(enumerate(bodies))

    async def worker() -> None:
        while queue:
            n, body = queue.pop()
            async with http.post(targets[n % len(targets)], json=body, headers=headers) as response:
                assert response.status == 200, response.status

    await asyncio.gather(*(worker() for _ in range(in_flight)))


async def scaling(url: str, sink: str, sink_pid: int, count: int, followers: int, people: int, messages: int,
                  next_id: int) -> tuple[float, float, int, dict, dict]:
    """(1) and (2) with `count` processes: notifications/s, commands/s, and the cores each side used."""
    from bot.adapters.telegram.adapter import SECRET_HEADER, webhook_secret

    ports = [free_port() for _ in range(count)]
    tmp = Path(tempfile.mkdtemp())
    procs = [relais(url, sink, tmp / f"p{n}", port) for n, port in enumerate(ports)]
    try:
        for port in ports:
            wait_port(port)
        async with aiohttp.ClientSession() as http:
            await http.post(f"{sink}/_reset")
            usage = Usage([p.pid for p in procs], sink_pid)
            await post_news(url)
            stats = await wait_sent(http, sink, followers)
            delivery, delivery_cores = followers / stats["span"], usage.end()
            await http.post(f"{sink}/_reset")
            bodies = [update(next_id + n, FIRST_ID + n % people, "/projects") for n in range(people * messages)]
            start = time.monotonic()
            usage = Usage([p.pid for p in procs], sink_pid)
            await post_all(http, [f"http://127.0.0.1:{p}/hook" for p in ports], bodies, {SECRET_HEADER: webhook_secret(TOKEN)})
            await wait_sent(http, sink, len(bodies))
            commands, command_cores = len(bodies) / (time.monotonic() - start), usage.end()
    finally:
        stop(procs)
    return delivery, commands, next_id + people * messages, delivery_cores, command_cores


async def failover(url: str, sink: str, next_id: int) -> tuple[float, float]:
    """(3): seconds from the kill of the poller to the new holder taking the role, and to the reply of a message."""
    tmp = Path(tempfile.mkdtemp())
    schema = url.split("schema=")[1]
    procs = [relais(url, sink, tmp / f"f{n}", None) for n in range(2)]
    db = await asyncpg.connect(url.split("?")[0], server_settings={"search_path": schema})
    try:
        async def holder() -> tuple[str, int] | None:
            row = await db.fetchrow("SELECT r.holder, p.pid FROM process_role r JOIN relais_process p ON p.id = r.holder "
                                    "WHERE r.role = 'telegram' AND r.expires_at > clock_timestamp()")
            return (row["holder"], row["pid"]) if row else None

        async with aiohttp.ClientSession() as http:
            user = FIRST_ID + 1
            while (held := await holder()) is None:
                await asyncio.sleep(0.05)
            before = (await sink_stats(http, sink, user))["chat"]
            await http.post(f"{sink}/_queue", json=update(next_id, user, "/me"))
            while (await sink_stats(http, sink, user))["chat"] <= before:  # the poller answers: warm
                await asyncio.sleep(0.05)
            victim = next(p for p in procs if p.pid == held[1])
            victim.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            await http.post(f"{sink}/_queue", json=update(next_id + 1, user, "/me"))
            taken = None
            while (await sink_stats(http, sink, user))["chat"] <= before + 1:
                if taken is None and (now := await holder()) is not None and now[0] != held[0]:
                    taken = time.monotonic() - killed
                if time.monotonic() - killed > 120:
                    raise SystemExit("no reply within 120 s of the kill")
                await asyncio.sleep(0.02)
            answered = time.monotonic() - killed
    finally:
        await db.close()
        stop(procs)
    return taken or answered, answered


async def one_rate(url: str, sink: str, count: int, sends: int, rate: float = 30.0) -> tuple[float, int]:
    """(4) with `count` processes at Telegram's rate: the rate reached together and the busiest second."""
    tmp = Path(tempfile.mkdtemp())
    procs = [relais(url, sink, tmp / f"r{n}", None, RELAIS_TELEGRAM_GLOBAL_RATE=str(rate)) for n in range(count)]
    try:
        async with aiohttp.ClientSession() as http:
            await http.post(f"{sink}/_reset")
            await post_news(url)
            stats = await wait_sent(http, sink, sends)
    finally:
        stop(procs)
    return (sends - 1) / stats["span"], stats["busiest"]


async def ceiling(sink: str, calls: int = 10000) -> float:
    """The sink alone: sendMessage calls/s from one client, 64 in flight."""
    async with aiohttp.ClientSession() as http:
        await http.post(f"{sink}/_reset")
        body = {"chat_id": 1, "text": "x" * 200}
        left = [calls]

        async def worker() -> None:
            while left[0] > 0:
                left[0] -= 1
                async with http.post(f"{sink}/bot{TOKEN}/sendMessage", json=body) as response:
                    await response.read()

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(64)))
        return calls / (time.monotonic() - start)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=10000)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--messages", type=int, default=4)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--rate-sends", type=int, default=600, help="followers of the news item of (4)")
    parser.add_argument("--runs", type=int, default=3, help="runs of (4)")
    parser.add_argument("--only-rate", action="store_true", help="only (4)")
    args = parser.parse_args()
    if args.only_rate:
        args.followers = args.rate_sends
    schema = f"relais_bench_scale_{os.getpid()}"
    url = f"{PG_SERVER}?schema={schema}"
    admin = await asyncpg.connect(PG_SERVER)
    await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
    sink, sink_url = start_sink()
    try:
        await seed(url, args.followers)
        print(f"{os.cpu_count()} cores; PostgreSQL, the sink, the client and the Relais processes share them")
        print(f"sink alone: {await ceiling(sink_url):6.0f} calls/s (the ceiling of (1) and (2))")
        if not args.only_rate:
            await throughput(args, url, sink, sink_url, admin, schema)
        await admin.execute(f'DELETE FROM "{schema}".outbox_message')
        await admin.execute(f'DELETE FROM "{schema}".follow WHERE person_id NOT IN (SELECT id FROM "{schema}".person '
                            f"WHERE display_name LIKE 'Follower %' ORDER BY id LIMIT {args.rate_sends})")
        print(f"(4) one rate for the bot: RELAIS_TELEGRAM_GLOBAL_RATE=30, a news item to {args.rate_sends} followers "
              f"(goal: together >= 95 % of 30/s, never over 30 in a second); min / median / max of {args.runs} runs")
        for count in sorted({1, args.processes}):
            runs = []
            for _ in range(args.runs):
                runs.append(await one_rate(url, sink_url, count, args.rate_sends))
                await admin.execute(f'DELETE FROM "{schema}".outbox_message')
            rates = sorted(r for r, _ in runs)
            print(f"    {count} process{'es' if count > 1 else '  '}: {rates[0]:5.2f} / {rates[len(rates) // 2]:5.2f} / {rates[-1]:5.2f} "
                  f"messages/s = {rates[0] / 30:.1%} / {rates[len(rates) // 2] / 30:.1%} / {rates[-1] / 30:.1%} of the limit; "
                  f"busiest second {max(b for _, b in runs)}")
    finally:
        sink.terminate()
        sink.wait()
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


async def throughput(args, url: str, sink, sink_url: str, admin, schema: str) -> None:
    """(1), (2) and (3)."""
    rows, next_id = [], 1
    for count in range(1, args.processes + 1):
        delivery, commands, next_id, delivery_cores, command_cores = await scaling(
            url, sink_url, sink.pid, count, args.followers, args.people, args.messages, next_id)
        rows.append((count, delivery, commands, delivery_cores, command_cores))
        await admin.execute(f'DELETE FROM "{schema}".outbox_message')
    base_delivery, base_commands = rows[0][1], rows[0][2]
    print(f"(1) outbox delivery, {args.followers} notifications    (2) inbound commands, {args.people * args.messages} webhook updates")
    for count, delivery, commands, _, _ in rows:
        print(f"    {count} process{'es' if count > 1 else '  '}: {delivery:6.0f} notifications/s  ×{delivery / base_delivery:4.2f}"
              f"        {commands:6.0f} commands/s  ×{commands / base_commands:4.2f}")
    print("    cores used (Relais processes / sink / the rest: PostgreSQL, this client, anything else running)")
    for count, _, _, d, c in rows:
        print(f"    {count} process{'es' if count > 1 else '  '}: {d['relais']:.2f} / {d['sink']:.2f} / {d['rest']:.2f}"
              f"                    {c['relais']:.2f} / {c['sink']:.2f} / {c['rest']:.2f}")
    taken, answered = await failover(url, sink_url, next_id)
    print(f"(3) failover (RELAIS_FAILOVER_S=15): role taken {taken:4.1f} s after the kill, first message answered "
          f"{answered:4.1f} s after it   (goal <= 15 s)")
    print(json.dumps({"delivery": [r[1] for r in rows], "commands": [r[2] for r in rows], "taken": taken, "answered": answered}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sink"]:
        web.run_app(sink_app(), host="127.0.0.1", port=int(sys.argv[2]), print=None, access_log=None)
    else:
        asyncio.run(main())
