"""Matrix on a local Synapse: command → reply round trip and commands/s through Relais, against a bare nio echo bot.

Both bots run on the same Synapse in the same run, driven by the same matrix-nio clients, each client in its own
direct chat with the bot. (1) Round trip: one client sends commands one at a time and waits for each reply
(p50/p95). (2) Throughput: every client sends its commands at once; the clock stops at the last reply.
Relais stores each event, runs it through the core (projects, project, follow, unfollow, following on the demo
community) and answers an m.notice in HTML as a reply; the echo bot (nio callbacks + sync_forever, the usual
shape) answers each `!` message with a notice replying to it. Goal: Relais ≥ 70 % of the echo bot's throughput.
(3) The same Relais in end-to-end encrypted direct chats, the clients with encryption on as Element's (their keys in
a store, Relais' devices trusted on first use): every command and reply is Megolm-encrypted and decrypted.
Goal: encrypted ≥ 60 % of the plain throughput.
Run: .venv/bin/python bench/matrix.py [--clients 8] [--commands 40] [--round-trips 60] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nio import AsyncClient, AsyncClientConfig, InviteMemberEvent, MatrixRoom, RoomCreateResponse, RoomMessageText, RoomPreset, SyncResponse  # noqa: E402
from nio.event_builders import EnableEncryptionBuilder  # noqa: E402

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.services import demo  # noqa: E402
from tests.adapters.matrix_helpers import client_keys  # noqa: E402
from tests.peers.synapse import SynapseServer, install_synapse, synapse_venv  # noqa: E402

PASSWORD = "bench password"
SLUGS = ["dombes-brasserie", "conciergerie-rurale", "ressourcerie-creative", "creche-interentreprises"]


def line(i: int) -> str:
    slug = SLUGS[i % len(SLUGS)]
    return ["!projets", f"!projet {slug}", f"!suivre {slug}", f"!ne-plus-suivre {slug}", "!suivis"][i % 5]


class Client:
    """A member in a direct chat with the bot; a background /sync notes when each reply arrives."""

    def __init__(self, server: SynapseServer, user, store: Path | None = None):
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
        self.encrypted = store is not None
        self.client = AsyncClient(server.base_url, user.user_id, store_path=str(store or ""),
                                  config=AsyncClientConfig(max_limit_exceeded=0, encryption_enabled=self.encrypted))
        self.client.restore_login(user.user_id, user.device_id, user.access_token)
        self.arrived: dict[str, float] = {}
        self.decrypted: set[str] = set()  # replies that came encrypted (and were decrypted here)
        self.joined: set[str] = set()
        self.bot = ""
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        first = await self.client.sync(timeout=0)
        assert isinstance(first, SyncResponse), first
        await self.keys()
        self._task = asyncio.create_task(self._sync())

    async def keys(self) -> None:
        await client_keys(self.client)  # what Element does after a sync, as the tests' members do

    async def _sync(self) -> None:
        while True:
            resp = await self.client.sync(timeout=1000, sync_filter={"room": {"timeline": {"limit": 500}}})
            now = time.perf_counter()
            if not isinstance(resp, SyncResponse):
                continue
            for info in resp.rooms.join.values():
                for event in info.timeline.events:
                    source = event.source
                    if source.get("type") == "m.room.member" and source.get("state_key") == self.bot:
                        self.joined.add(source["content"].get("membership", ""))
                    rel = (source.get("content") or {}).get("m.relates_to") or {}
                    target = (rel.get("m.in_reply_to") or {}).get("event_id")
                    if source.get("sender") == self.bot and target:
                        self.arrived[target] = now
                        if getattr(event, "decrypted", False):
                            self.decrypted.add(target)
            await self.keys()
            self._changed.set()

    async def wait(self, done, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError("no reply in time")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), 1.0)
            except asyncio.TimeoutError:
                pass

    async def open_chat(self, bot: str) -> str:
        self.bot = bot
        resp = await self.client.room_create(is_direct=True, invite=[bot], preset=RoomPreset.trusted_private_chat,
                                             initial_state=[EnableEncryptionBuilder().as_dict()] if self.encrypted else [])
        assert isinstance(resp, RoomCreateResponse), resp
        await self.wait(lambda: "join" in self.joined)
        return resp.room_id

    async def send(self, room_id: str, text: str) -> tuple[str, float]:
        resp = await self.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": text},
                                           ignore_unverified_devices=True)
        return resp.event_id, time.perf_counter()

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.client.close()


class EchoBot:
    """The baseline: a bare matrix-nio bot, callbacks on sync_forever, joining invitations, echoing `!` lines."""

    def __init__(self, server: SynapseServer, user):
        self.client = AsyncClient(server.base_url, user.user_id)
        self.client.restore_login(user.user_id, user.device_id, user.access_token)
        self.client.add_event_callback(self.on_message, RoomMessageText)
        self.client.add_event_callback(self.on_invite, InviteMemberEvent)
        self._task: asyncio.Task | None = None

    async def on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == self.client.user_id and event.membership == "invite":
            await self.client.join(room.room_id)

    async def on_message(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != self.client.user_id and event.body.startswith("!"):
            await self.client.room_send(room.room_id, "m.room.message", {
                "msgtype": "m.notice", "body": event.body, "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}}})

    async def start(self) -> None:
        await self.client.sync(timeout=0)  # history is not for it either
        # Given the large timeline limit Relais uses too: with Synapse's default of 10, a burst loses messages.
        self._task = asyncio.create_task(self.client.sync_forever(
            timeout=30000, sync_filter={"room": {"timeline": {"limit": 500}}}))

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.client.close()


async def measure(clients: list[Client], rooms: list[str], round_trips: int, commands: int) -> dict:
    """Round trips from the first client, then every client's commands at once."""
    first, room = clients[0], rooms[0]
    latencies = []
    for i in range(round_trips):
        event_id, sent = await first.send(room, line(i))
        await first.wait(lambda event_id=event_id: event_id in first.arrived)
        latencies.append((first.arrived[event_id] - sent) * 1000)
    latencies.sort()

    started = time.perf_counter()

    async def burst(client: Client, room_id: str) -> list[str]:
        return [(await client.send(room_id, line(i)))[0] for i in range(commands)]
    sent = await asyncio.gather(*(burst(c, r) for c, r in zip(clients, rooms)))
    for client, ids in zip(clients, sent):
        await client.wait(lambda c=client, ids=ids: all(i in c.arrived for i in ids))
    last = max(client.arrived[i] for client, ids in zip(clients, sent) for i in ids)
    total = len(clients) * commands
    if clients[0].encrypted:  # every reply really came encrypted
        assert all(i in c.decrypted for c, ids in zip(clients, sent) for i in ids), "a reply came in clear"
    return {"p50": statistics.median(latencies), "p95": latencies[int(0.95 * (len(latencies) - 1))],
            "rate": total / (last - started), "total": total}


async def run_side(server: SynapseServer, name: str, bot_user, start_bot, stop_bot, args, stores: Path | None = None) -> dict:
    clients = []
    for _ in range(args.clients):
        user = await server.register(server.fresh_localpart(f"{name}-member"), PASSWORD)
        clients.append(Client(server, user, stores / user.user_id if stores else None))
    for client in clients:
        await client.start()
    bot = await start_bot()
    try:
        rooms = [await client.open_chat(bot_user.user_id) for client in clients]
        await asyncio.sleep(1.0)  # greetings out of the way before the clock starts
        return await measure(clients, rooms, args.round_trips, args.commands)
    finally:
        await stop_bot(bot)
        for client in clients:
            await client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--commands", type=int, default=40, help="commands per client in the throughput burst")
    parser.add_argument("--round-trips", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3, help="each side measured this many times, in turn")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if not (synapse_venv() / "bin" / "python").exists():
        install_synapse()
    results: dict[str, list[dict]] = {"echo": [], "plain": [], "encrypted": []}
    with tempfile.TemporaryDirectory() as tmp:
        server = SynapseServer(Path(tmp) / "synapse")
        server.start()
        try:
            for run in range(args.runs):
                echo_user = await server.register(server.fresh_localpart("echo"), PASSWORD)

                async def start_echo(user=echo_user):
                    bot = EchoBot(server, user)
                    await bot.start()
                    return bot

                async def stop_echo(bot):
                    await bot.stop()
                results["echo"].append(await run_side(server, "echo", echo_user, start_echo, stop_echo, args))
                for side in ("plain", "encrypted"):
                    where = Path(tmp) / f"{side}-{run}"
                    where.mkdir()
                    relais_user = await server.register(server.fresh_localpart("relais"), PASSWORD)

                    async def start_relais(user=relais_user, where=where):
                        settings = Settings(data_dir=where, database_url=f"sqlite://{where / 'relais.sqlite3'}", log_level="ERROR",
                                            secret_key="a bench secret that is long enough 0123456789",
                                            sections={"matrix": {"homeserver": server.base_url, "user_id": user.user_id,
                                                                 "password": PASSWORD, "invite_allow": ":" + server.server_name},
                                                      "mail": {"listen": ""}, "web": {"web_listen": ""}})
                        app = App(settings)
                        await app.start()
                        await demo.seed("me", datetime.now(timezone.utc))
                        stop = asyncio.Event()
                        task = asyncio.create_task(app.serve(stop))
                        adapter = app.adapter("matrix")
                        await asyncio.wait_for(adapter.ready.wait(), 30)
                        return app, stop, task

                    async def stop_relais(running):
                        app, stop, task = running
                        stop.set()
                        await task
                        await app.stop()
                    stores = where / "clients" if side == "encrypted" else None
                    results[side].append(await run_side(server, f"relais-{side}", relais_user, start_relais, stop_relais,
                                                        args, stores))
                print(f"run {run + 1}: " + "  ".join(f"{side} {results[side][-1]['rate']:.1f}/s" for side in results), flush=True)
        finally:
            server.stop()

    def spread(values: list[float], fmt: str) -> str:
        return "/".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))
    print(f"Matrix on a local Synapse ({args.clients} direct chats, {args.round_trips} round trips, "
          f"{results['echo'][0]['total']} commands in the burst; min/median/max of {args.runs} runs)")
    names = {"echo": "bare nio echo bot", "plain": "Relais, plain", "encrypted": "Relais, encrypted"}
    for side, name in names.items():
        r = results[side]
        print(f"  {name:18} round trip p50 {spread([x['p50'] for x in r], '.1f')} ms  p95 {spread([x['p95'] for x in r], '.1f')} ms"
              f"  throughput {spread([x['rate'] for x in r], '.1f')} commands/s")
    plain = [p["rate"] / e["rate"] for p, e in zip(results["plain"], results["echo"])]
    encrypted = [c["rate"] / p["rate"] for c, p in zip(results["encrypted"], results["plain"])]
    print(f"  Relais plain / echo bot: {spread(plain, '.0%')} of the throughput (goal ≥ 70 %)")
    print(f"  Relais encrypted / plain: {spread(encrypted, '.0%')} of the throughput (goal ≥ 60 %)")


if __name__ == "__main__":
    asyncio.run(main())
