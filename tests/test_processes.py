"""Several `relais run` processes on one PostgreSQL database against the Telegram emulator: one polls, a kill -9
hands its role to another within RELAIS_FAILOVER_S and every message is answered once; in webhook mode every
process takes updates and one sent twice is handled once; on SQLite a second service is refused; `relais status`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from bot.adapters.telegram.adapter import SECRET_HEADER, webhook_secret
from bot.app import App
from bot.config import Settings
from bot.services import demo
from tests.conftest import PG_SERVER
from tests.peers.telegram_client import TelegramEmulator
from tests.test_cli import env_for, start_service

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "777:PROCESSES"


@pytest.fixture
def telegram_token() -> str:
    return TOKEN
FAILOVER = 2.0  # RELAIS_FAILOVER_S of these tests (15 by default)


class Database:
    """A PostgreSQL schema of its own, seeded with the demo community, read with plain SQL."""

    def __init__(self, name: str):
        self.name = name
        self.url = f"{PG_SERVER}?schema={name}"

    async def rows(self, sql: str, *args) -> list:
        conn = await asyncpg.connect(PG_SERVER, server_settings={"search_path": self.name})
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    async def reset(self, tmp_path: Path) -> None:
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE; CREATE SCHEMA "{self.name}"')
        await conn.close()
        app = App(Settings(data_dir=tmp_path, database_url=self.url, log_level="WARNING"), listen=False)
        await app.start()
        await demo.seed("me", datetime.now(timezone.utc))
        await app.stop()

    async def drop(self) -> None:
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
        await conn.close()

    async def holder(self, role: str, other_than: str = "", timeout: float = 60.0) -> tuple[str, int, float]:
        """The process holding `role` (its id and pid) once one does, and how long that took."""
        start = time.monotonic()
        while True:
            found = await self.rows('SELECT r.holder, p.pid FROM process_role r JOIN relais_process p ON p.id = r.holder '
                                    'WHERE r.role = $1 AND r.expires_at > clock_timestamp() AND r.holder <> $2', role, other_than)
            if found:
                return found[0]["holder"], found[0]["pid"], time.monotonic() - start
            assert time.monotonic() - start < timeout, f"nobody took the {role} role"
            await asyncio.sleep(0.05)


def service(tmp_path: Path, name: str, database: str, telegram: str = "", **env: str) -> subprocess.Popen:
    """`relais run` as a service (no terminal; Telegram on the emulator at `telegram`), its log in <tmp>/<name>/stderr.log."""
    data = tmp_path / name
    data.mkdir()
    if telegram:
        env.update(RELAIS_TELEGRAM_TOKEN=TOKEN, RELAIS_TELEGRAM_API_URL=telegram, RELAIS_TELEGRAM_CHAT_RATE="50")
    settings = env_for(data, RELAIS_DATABASE_URL=database, RELAIS_FAILOVER_S=str(FAILOVER), RELAIS_MAIL_LISTEN="",
                       RELAIS_WEB_LISTEN="", RELAIS_DELIVERY_INTERVAL="0.2", RELAIS_SCHEDULER="true", **env)
    with open(data / "stderr.log", "w") as err:
        return subprocess.Popen([sys.executable, "-m", "bot", "run"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, cwd=ROOT, env=settings)


def logged(tmp_path: Path, name: str, event: str, **fields) -> int:
    count = 0
    for line in (tmp_path / name / "stderr.log").read_text().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            count += record.get("event") == event and all(record.get(k) == v for k, v in fields.items())
    return count


def status(tmp_path: Path, database: str, *args: str, failover: float = FAILOVER) -> subprocess.CompletedProcess:
    """`relais status` with the services' own failover time (it says who is alive)."""
    return subprocess.run([sys.executable, "-m", "bot", "status", *args], capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env=env_for(tmp_path, RELAIS_DATABASE_URL=database, RELAIS_FAILOVER_S=str(failover)))


def stop_all(procs: list[subprocess.Popen]) -> list[int | None]:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    codes = []
    for proc in procs:
        try:
            codes.append(proc.wait(timeout=30))
        except subprocess.TimeoutExpired:
            proc.kill()
            codes.append(None)
    return codes


async def answered(emu: TelegramEmulator, users: list[dict], counts: dict[int, int], timeout: float = 20.0) -> None:
    """Each user's chat has exactly `counts[id]` bot messages, and no more arrive after."""
    for user in users:
        await emu.wait_for_sent(user["id"], counts[user["id"]], timeout=timeout)
    await asyncio.sleep(1.0)
    for user in users:
        got = [m.get("text", "")[:40] for m in await emu.sent(user["id"])]
        assert len(got) == counts[user["id"]], (user["first_name"], got)


async def test_three_processes_poll_telegram_one_at_a_time_and_a_killed_holder_is_replaced(tmp_path, emu, telegram_emulator):
    db = Database(f"relais_pp{os.getpid()}")
    await db.reset(tmp_path)
    procs = {}
    try:
        for n in range(3):
            proc = service(tmp_path, f"p{n}", db.url, telegram_emulator.base_url)
            procs[proc.pid] = proc
        polling, pid, _ = await db.holder("telegram")
        users = []
        for n in range(4):
            user = await emu.create_user(first_name=f"Membre{n}", language_code="en")
            await emu.start(user)
            users.append(user)
        counts = {u["id"]: 1 for u in users}  # the greeting
        await answered(emu, users, counts)
        stats = await emu.stats()
        assert stats["errors"].get("409", 0) == 0, stats  # one getUpdates consumer: Telegram never saw a second one
        scheduler, _, _ = await db.holder("scheduler")
        await asyncio.sleep(FAILOVER)  # several leases long: nobody else took either role
        names = {proc.pid: f"p{n}" for n, proc in enumerate(procs.values())}
        assert sum(logged(tmp_path, name, "role taken", role="telegram") for name in names.values()) == 1
        assert sum(logged(tmp_path, name, "role taken", role="scheduler") for name in names.values()) == 1

        shown = status(tmp_path / "p0", db.url, "--json")
        assert shown.returncode == 0, shown.stderr
        state = json.loads(shown.stdout)
        assert sorted(p["pid"] for p in state["processes"] if p["alive"]) == sorted(procs)
        assert {r["role"]: r["pid"] for r in state["roles"] if not r["expired"]}["telegram"] == pid
        assert set(state["queues"]) == {"inbox", "outbox", "inbound mail", "outgoing mail", "digest deliveries"}

        for _ in range(2):  # kill -9 the poller while messages flow, then the one that took over
            for user in users:
                await emu.send(user, "/me")
            procs.pop(pid).kill()
            for user in users:
                await emu.send(user, "/following")
            polling, pid, took = await db.holder("telegram", other_than=polling)
            assert took < FAILOVER, f"the polling role was taken over after {took:.1f} s"
            counts = {uid: count + 2 for uid, count in counts.items()}
            await answered(emu, users, counts)
        pending = await db.rows("SELECT count(*) AS n FROM inbound_event WHERE status <> 'done'")
        assert pending[0]["n"] == 0
        last = status(tmp_path / "p0", db.url)
        assert "processes: 1 alive" in last.stdout and "telegram" in last.stdout, last.stdout
        assert (await db.holder("scheduler"))[1] == pid  # the scheduler's tick went with the survivor too
    finally:
        codes = stop_all(list(procs.values()))
        await db.drop()
    assert codes == [0], codes
    assert not any(logged(tmp_path, name, "heartbeat failed") for name in ("p0", "p1", "p2"))
    assert sum(logged(tmp_path, name, "a process is gone: its work is taken over") for name in ("p0", "p1", "p2")) == 2


async def test_webhook_mode_every_process_takes_updates_and_one_sent_twice_is_handled_once(tmp_path, emu, telegram_emulator):
    db = Database(f"relais_pw{os.getpid()}")
    await db.reset(tmp_path)
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    hooks = [f"http://127.0.0.1:{port}/telegram/hook" for port in ports]
    # Both are told the load balancer's address (here the first process'); each listens on its own port.
    procs = [service(tmp_path, f"w{n}", db.url, telegram_emulator.base_url, RELAIS_TELEGRAM_WEBHOOK_URL=hooks[0],
                     RELAIS_TELEGRAM_WEBHOOK_LISTEN=f"127.0.0.1:{port}") for n, port in enumerate(ports)]
    try:
        for port in ports:
            deadline = time.monotonic() + 60  # three interpreters importing Relais at once on two cores
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "a webhook endpoint never opened"
                    await asyncio.sleep(0.05)
        ana = await emu.create_user(first_name="Ana", language_code="en")
        await emu.start(ana)  # delivered by the emulator's webhook
        await emu.wait_for_sent(ana["id"], 1, timeout=20)

        def update(update_id: int, text: str) -> dict:
            return {"update_id": update_id, "message": {"message_id": update_id, "date": int(time.time()),
                    "chat": {"id": ana["id"], "type": "private"}, "text": text,
                    "from": {"id": ana["id"], "is_bot": False, "first_name": "Ana", "language_code": "en"}}}

        headers = {SECRET_HEADER: webhook_secret(TOKEN)}  # the same derived secret in every process
        async with aiohttp.ClientSession() as http:
            async def post(hook: str, body: dict, secret: dict = headers) -> int:
                async with http.post(hook, json=body, headers=secret) as response:
                    return response.status

            twice = update(900_001, "/me")
            assert await asyncio.gather(post(hooks[0], twice), post(hooks[1], twice)) == [200, 200]
            assert await post(hooks[1], twice) == 200  # Telegram sending it again later: acknowledged, not handled
            spread = [await post(hooks[n % 2], update(900_010 + n, "/projects")) for n in range(6)]
            assert spread == [200] * 6
            assert await post(hooks[1], update(900_100, "/me"), {SECRET_HEADER: "guess"}) == 401
        await answered(emu, [ana], {ana["id"]: 1 + 1 + 6})
        texts = [m["text"] for m in await emu.sent(ana["id"])]
        assert sum(t.startswith("Ana") for t in texts) == 1, texts
        handlers = await db.rows("SELECT DISTINCT claimed_by FROM inbound_event WHERE key LIKE 'telegram:%:9000%'")
        assert len(handlers) == 2  # each process handled what it received
        assert "getUpdates" not in (await emu.stats())["calls"]
    finally:
        codes = stop_all(procs)
        await db.drop()
    assert codes == [0, 0]


def test_a_second_service_on_sqlite_is_refused_and_the_console_and_status_work_beside_it(tmp_path):
    first = start_service(tmp_path, RELAIS_SCHEDULER="true")  # the status shows the scheduler's role
    try:
        second = subprocess.run([sys.executable, "-m", "bot", "run"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                cwd=ROOT, env=env_for(tmp_path), timeout=60)
        assert second.returncode == 2, second.stderr
        assert "relais: a Relais service already runs on this SQLite database" in second.stderr
        assert f"pid {first.pid} on {socket.gethostname()}" in second.stderr and "Traceback" not in second.stderr
        chat = subprocess.run([sys.executable, "-m", "bot", "console", "--as", "me"], input="projets\n", capture_output=True,
                              text=True, cwd=ROOT, env=env_for(tmp_path), timeout=60)
        assert chat.returncode == 0 and "Brasserie de la Dombes" in chat.stdout, chat.stderr
        shown = status(tmp_path, "", failover=15)
        assert shown.returncode == 0, shown.stderr
        text = shown.stdout
        assert "processes: 1 alive" in text and f"{socket.gethostname()}:{first.pid}" in text
        assert "scheduler" in text and "inbox" in text and "digest deliveries" in text
        state = json.loads(status(tmp_path, "", "--json", failover=15).stdout)
        assert [p["pid"] for p in state["processes"]] == [first.pid]
        assert [(r["role"], r["pid"]) for r in state["roles"]] == [("scheduler", first.pid)]
        assert state["queues"]["outbox"]["waiting"] >= 0 and state["queues"]["inbox"]["parked"] == 0
        first.send_signal(signal.SIGKILL)  # the system frees the lock with the process
        first.wait(timeout=10)
        first = start_service(tmp_path)
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0


def test_the_scale_override_over_the_compose_file_is_valid_compose(tmp_path):
    """docker-compose.scale.yml over docker-compose.yml (as `docker compose -f … -f …` merges them) is valid Compose:
    `relais` publishes one port of each range per replica, for the ports the base publishes and the webhook's."""
    from ruamel.yaml import YAML

    from tests.test_compose import check_schema, load

    reader = YAML(typ="safe")
    reader.constructor.add_constructor("!override", lambda constructor, node: constructor.construct_sequence(node))
    override = reader.load((ROOT / "docker-compose.scale.yml").read_text(encoding="utf-8"))["services"]["relais"]
    merged = load()
    relais = merged["services"]["relais"]
    relais["environment"].update(override["environment"])
    base_ports = {port.split(":")[-1] for port in relais["ports"]}
    relais["ports"] = override["ports"]  # `!override`: the list replaces the base's
    (tmp_path / "compose.json").write_text(json.dumps(merged))
    result = check_schema(tmp_path / "compose.json")
    assert result.returncode == 0, result.stdout + result.stderr
    ranges = {port.split(":")[-1]: port.split(":")[1] for port in override["ports"]}
    assert set(ranges) == base_ports | {relais["environment"]["RELAIS_TELEGRAM_WEBHOOK_LISTEN"].split(":")[1]}
    for published in ranges.values():
        low, high = map(int, published.split("-"))
        assert high - low + 1 == 3  # --scale relais=3
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docker compose -f docker-compose.yml -f docker-compose.scale.yml up -d --scale relais=3" in readme


async def test_processes_starting_together_migrate_one_at_a_time(tmp_path):
    db = Database(f"relais_pg{os.getpid()}")
    conn = await asyncpg.connect(PG_SERVER)
    await conn.execute(f'DROP SCHEMA IF EXISTS "{db.name}" CASCADE; CREATE SCHEMA "{db.name}"')
    await conn.close()
    try:
        runs = [subprocess.Popen([sys.executable, "-m", "bot", "migrate"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, cwd=ROOT, env=env_for(tmp_path / str(n), RELAIS_DATABASE_URL=db.url)) for n in range(3)]
        outs = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0, 0, 0], outs
        assert sorted(out.split(":")[0].strip() for out, _ in outs) == ["applied", "up to date", "up to date"], outs
        applied = await db.rows("SELECT count(*) AS n FROM aerich")
        assert applied[0]["n"] == len(list((ROOT / "models" / "migrations" / "models").glob("[0-9]*_*.py")))
    finally:
        await db.drop()
