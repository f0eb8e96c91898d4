"""Test helpers for the Matrix adapter: people driving a real Synapse with matrix-nio, and Relais started on it."""

from __future__ import annotations

import asyncio
import inspect
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from nio import AsyncClient, AsyncClientConfig, MegolmEvent, RoomCreateResponse, RoomPreset, RoomSendResponse, SyncResponse
from nio.event_builders import EnableEncryptionBuilder

from bot.app import App
from bot.config import Settings
from bot.services import demo
from tests.conftest import database_url as prepared_database
from tests.conftest import fresh_postgres
from tests.peers.synapse import SynapseServer

PASSWORD = "correct horse battery staple"


async def client_keys(c: AsyncClient) -> None:
    """What Element does after a sync: keys uploaded, members' devices queried (trusted on first use), sessions claimed,
    room keys sent."""
    if c.olm is None:
        return
    if c.should_upload_keys:
        await c.keys_upload()
    if c.should_query_keys:
        await c.keys_query()
    for device in c.device_store:
        if not device.verified and not (device.user_id == c.user_id and device.id == c.device_id):
            c.verify_device(device)
    if c.should_claim_keys:
        users = c.get_users_for_key_claiming()
        if users:
            await c.keys_claim(users)
    if c.outgoing_to_device_messages:
        await c.send_to_device_messages()


class Member:
    """A Matrix user as a client would be: sends messages and reactions, reads its timelines through /sync."""

    def __init__(self, server: SynapseServer, user, store: Path | None = None):
        self.user_id = user.user_id
        self.device_id = user.device_id
        self.client = AsyncClient(server.base_url, user.user_id, store_path=str(store or ""), config=AsyncClientConfig(
            max_limit_exceeded=0, encryption_enabled=store is not None))
        self.client.restore_login(user.user_id, user.device_id, user.access_token)
        self.events: dict[str, list[dict]] = {}
        self.invites: dict[str, list[dict]] = {}
        self.since: str | None = None
        self.decrypted: set[str] = set()  # events that came encrypted and were decrypted here
        self.undecrypted: list = []  # MegolmEvents this device could not decrypt (yet)

    @classmethod
    async def new(cls, server: SynapseServer, prefix: str) -> "Member":
        member = cls(server, await server.register(server.fresh_localpart(prefix), PASSWORD))
        await member.sync(0)
        return member

    @classmethod
    async def encrypted(cls, server: SynapseServer, prefix: str, store: Path, user=None) -> "Member":
        """A member whose client has end-to-end encryption on, as Element's has (its keys in `store`); `user`: another
        device of an existing member (a new login)."""
        store.mkdir(parents=True, exist_ok=True)
        member = cls(server, user or await server.register(server.fresh_localpart(prefix), PASSWORD), store)
        await member.keys()
        await member.sync(0)
        return member

    async def keys(self) -> None:
        await client_keys(self.client)

    async def sync(self, timeout_ms: int = 500) -> None:
        resp = await self.client.sync(timeout=timeout_ms, since=self.since,
                                      sync_filter={"room": {"timeline": {"limit": 500}}})
        assert isinstance(resp, SyncResponse), resp
        self.since = resp.next_batch
        for room_id, info in resp.rooms.join.items():
            self.events.setdefault(room_id, []).extend(e.source for e in info.timeline.events)
            self.decrypted |= {e.event_id for e in info.timeline.events if getattr(e, "decrypted", False)}
            self.undecrypted.extend(e for e in info.timeline.events if isinstance(e, MegolmEvent))
        await self.keys()
        for room_id, info in resp.rooms.leave.items():
            self.events.setdefault(room_id, []).extend(e.source for e in info.timeline.events)
        for room_id, info in resp.rooms.invite.items():
            # nio pops `content` out of stripped invite events: put it back as a client sees it.
            self.invites[room_id] = [{**e.source, "content": getattr(e, "content", {})} for e in info.invite_state]

    async def wait(self, found: Callable[[], object], timeout: float = 15.0, what: str = "event"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = found()
            if value:
                return value
            await self.sync(300)
        raise AssertionError(f"{self.user_id}: no {what} within {timeout}s")

    def find(self, room_id: str, test: Callable[[dict], bool]) -> list[dict]:
        return [e for e in self.events.get(room_id, []) if test(e)]

    async def create_room(self, invite: list[str] = (), direct: bool = False, encrypted: bool = False) -> str:
        resp = await self.client.room_create(
            invite=list(invite), is_direct=direct,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            initial_state=[EnableEncryptionBuilder().as_dict()] if encrypted else [])
        assert isinstance(resp, RoomCreateResponse), resp
        return resp.room_id

    async def send(self, room_id: str, content: dict, kind: str = "m.room.message") -> str:
        await self.keys()
        resp = await self.client.room_send(room_id, kind, content, ignore_unverified_devices=True)
        assert isinstance(resp, RoomSendResponse), resp
        return resp.event_id

    async def say(self, room_id: str, body: str, mention: tuple[str, str] | None = None) -> str:
        content = {"msgtype": "m.text", "body": body}
        if mention:  # as Element writes a pill: "Name: text", an HTML link, and m.mentions
            user_id, name = mention
            content = {"msgtype": "m.text", "body": f"{name}: {body}", "format": "org.matrix.custom.html",
                       "formatted_body": f'<a href="https://matrix.to/#/{user_id}">{name}</a>: {body}',
                       "m.mentions": {"user_ids": [user_id]}}
        return await self.send(room_id, content)

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        return await self.send(room_id, {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}},
                               "m.reaction")

    async def reply_to(self, room_id: str, event_id: str, sender: str, timeout: float = 15.0) -> dict:
        """The notice `sender` posted in reply to `event_id` (the whole event)."""
        return (await self.wait(lambda: self.replies(room_id, event_id, sender), timeout, f"reply to {event_id}"))[0]

    def replies(self, room_id: str, event_id: str, sender: str) -> list[dict]:
        def test(e: dict) -> bool:
            rel = (e.get("content") or {}).get("m.relates_to") or {}
            return e.get("sender") == sender and (rel.get("m.in_reply_to") or {}).get("event_id") == event_id
        return self.find(room_id, test)

    def notices(self, room_id: str, sender: str) -> list[dict]:
        return self.find(room_id, lambda e: e.get("sender") == sender and (e.get("content") or {}).get("msgtype") == "m.notice")

    async def answer_poll(self, room_id: str, start_id: str, answers: list[str], unstable: bool = False) -> str:
        """Vote in a native poll as Element does (`unstable`: org.matrix.msc3381.poll.response) or in MSC3381's
        final form (m.poll.response with m.selections)."""
        relation = {"rel_type": "m.reference", "event_id": start_id}
        if unstable:
            return await self.send(room_id, {"m.relates_to": relation, "org.matrix.msc3381.poll.response": {"answers": answers}},
                                   "org.matrix.msc3381.poll.response")
        return await self.send(room_id, {"m.relates_to": relation, "m.selections": answers}, "m.poll.response")

    def poll_starts(self, room_id: str, sender: str) -> list[dict]:
        return self.find(room_id, lambda e: e.get("sender") == sender and e.get("type") == "org.matrix.msc3381.poll.start")

    def poll_ends(self, room_id: str, sender: str, start_id: str) -> list[dict]:
        def test(e: dict) -> bool:
            rel = (e.get("content") or {}).get("m.relates_to") or {}
            return (e.get("sender") == sender and e.get("type") == "org.matrix.msc3381.poll.end"
                    and rel == {"rel_type": "m.reference", "event_id": start_id})
        return self.find(room_id, test)

    async def read_by(self, room_id: str, user_id: str) -> set[str]:
        """The events `user_id` has marked read in the room (a full sync of its read receipts; `since` is kept)."""
        resp = await self.client.sync(timeout=0, sync_filter={"room": {"rooms": [room_id], "timeline": {"limit": 1}}})
        assert isinstance(resp, SyncResponse), resp
        info = resp.rooms.join.get(room_id)
        return {r.event_id for e in (info.ephemeral if info else []) for r in getattr(e, "receipts", [])
                if r.user_id == user_id and r.receipt_type == "m.read"}

    def membership(self, room_id: str, user_id: str) -> str | None:
        found = self.find(room_id, lambda e: e.get("type") == "m.room.member" and e.get("state_key") == user_id)
        return found[-1]["content"].get("membership") if found else None

    async def close(self) -> None:
        await self.client.close()


class Relais:
    """Relais with its Matrix adapter on SQLite, served as `relais run` does, restartable on the same database."""

    def __init__(self, server: SynapseServer, tmp_path: Path, user_id: str, invite_allow: str = "", database_url: str = "",
                 secret: str = "", **matrix):
        self.tmp_path = tmp_path
        self.database_url = database_url or prepared_database("sqlite", tmp_path)
        self.matrix = {"homeserver": server.base_url, "user_id": user_id, "password": PASSWORD,
                       "invite_allow": invite_allow, **matrix}
        self.user_id = user_id
        self.secret = secret
        self.app: App | None = None
        self._seeded = False

    @classmethod
    async def new(cls, server: SynapseServer, tmp_path: Path, invite_allow: str = "", token: bool = False,
                  database_url: str = "", **matrix) -> "Relais":
        """A fresh Matrix account for Relais; `token=True` configures its access token instead of the password;
        `matrix`: more settings (encryption=False)."""
        bot = await server.register(server.fresh_localpart("relais"), PASSWORD)
        if token:
            matrix.update(password="", access_token=bot.access_token)
        relais = cls(server, tmp_path, bot.user_id, invite_allow, database_url, **matrix)
        relais.registered = bot
        await relais.start()
        return relais

    async def __aenter__(self) -> "Relais":
        return self

    async def __aexit__(self, *exc) -> None:
        # Stopped in the test's own task: Tortoise keeps its connections in a context variable of that task.
        if self.app is not None and self.app.started:
            await self.stop()

    @property
    def adapter(self):
        return self.app.adapter("matrix")

    async def start(self) -> None:
        if not self._seeded and self.database_url.startswith("postgres"):
            await fresh_postgres()
        settings = Settings(data_dir=self.tmp_path, database_url=self.database_url, secret_key=self.secret,
                            log_format="text", delivery_interval=0.2, scheduler=False,
                            sections={"matrix": dict(self.matrix), "mail": {"listen": ""}, "web": {"web_listen": ""}})
        self.app = App(settings)
        await self.app.start()
        if not self._seeded:
            await demo.seed("me", datetime.now(timezone.utc))
            self._seeded = True
        self._stop = asyncio.Event()
        self._serving = asyncio.create_task(self.app.serve(self._stop))
        await asyncio.wait_for(self.adapter.ready.wait(), 20)

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.wait_for(self._serving, 20)
        await self.app.stop()

    async def community(self):
        return await self.app.services.people.community(demo.SLUG)

    async def grant(self, user_id: str, role) -> None:
        await self.app.services.people.grant(await self.community(), f"matrix:{user_id}", role)


def body(event: dict) -> str:
    return (event.get("content") or {}).get("body", "")


async def until(test, what: str, timeout: float = 15.0):
    """The first truthy value of `test()` (awaited when it is a coroutine), asked every 0.1 s; fails after `timeout`."""
    for _ in range(int(timeout * 10)):
        value = test()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {what} within {timeout}s")
