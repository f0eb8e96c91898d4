"""The Matrix adapter: logs in once and keeps its device, syncs into the core's inbox (each batch with its sync
token), renders replies as m.notice with HTML, numbered choices answered by number or keycap, files as m.file,
polls of a community room as native MSC3381 polls whose answers come back as votes."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from datetime import timedelta
from urllib.parse import quote

from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    LoginResponse,
    RoomGetStateEventResponse,
    UploadFilterResponse,
    WhoamiResponse,
)

from bot.adapters.matrix.crypto import Crypto, store_path
from bot.adapters.matrix.events import PLATFORM, TIMELINE_LIMIT, replying_to, strip_mention, strip_reply_fallback, sync_filter, txn_id
from bot.adapters.matrix.media import Pictures, download, picture_actions
from bot.adapters.matrix.native_polls import NativePolls
from bot.adapters.matrix.outbound import Outbound, SendFailed, SendRefused
from bot.adapters.matrix.polls import ballot, has_text, split
from bot.adapters.matrix.render import NATIVE, body_text, file_content, notice, to_content
from bot.adapters.matrix.rooms import DirectRooms
from bot.adapters.matrix.sync import Syncer
from bot.config import MatrixSettings
from bot.core.errors import Elsewhere, TemporaryFailure, Unreachable
from bot.core.i18n import N_
from bot.core.incoming import Incoming, Origin
from bot.core.numbers import is_number
from bot.core.plan import Plan
from bot.core.replies import Attachment, Reply
from bot.runtime.adapter import Turn
from bot.runtime.inbox import Event
from bot.runtime.ports import Ports
from bot.services.encryption import encrypted_chats
from models import Account, AdapterState, OutboxMessage

log = logging.getLogger("relais.matrix")

SESSION_KEY = "matrix:session"
NUMBER_ANSWERS_FOR = timedelta(hours=24)  # in a room, a bare number long after the question is chatter
REFUSED = N_("Hello! I only join rooms when a facilitator of a community invites me, so I am leaving this one. "
             "Ask a facilitator to invite me, or to add you to a community first.")
ENCRYPTED = N_("This room is end-to-end encrypted and I cannot read encrypted rooms yet, so I am leaving it. "
               "Invite me to an unencrypted room, or start a direct chat with me without encryption.")
UNREADABLE = N_("I could not read your last message: it was encrypted before I got its key. Please send it again.")
WELCOME = N_("Hello! I am Relais. A facilitator can bind this room to a community with !bind <community>. "
             "Type !help to see what I can do.")


def where_of(room_id: str, user_id: str) -> str:
    """The choice memory's key for a person in a room: numbers and keycaps answer what they were offered there."""
    return f"{PLATFORM}:{room_id}:{user_id}"


class MatrixAdapter:
    platform = PLATFORM
    native = NATIVE

    def __init__(self, settings: MatrixSettings, ports: Ports, timeline_limit: int = TIMELINE_LIMIT,
                 sync_timeout_ms: int = 30000, secret: str = ""):
        self.ports = ports
        self.homeserver = settings.homeserver.rstrip("/")
        self.user_id = settings.user_id
        self.password = settings.password.get_secret_value()
        self.access_token = settings.access_token.get_secret_value()
        self.invite_allow = {part.strip() for part in settings.invite_allow.split(",") if part.strip()}
        self.timeline_limit = timeline_limit
        # Rate limits and timeouts are handled by Outbound (nio would retry a 429 forever, holding the caller). With
        # encryption, nio keeps its keys in a store under the data directory (crypto.py).
        self.client = AsyncClient(self.homeserver, self.user_id, store_path=str(store_path(ports.data_dir)) if settings.encryption else "",
                                  config=AsyncClientConfig(max_limit_exceeded=0, max_timeouts=2, encryption_enabled=settings.encryption,
                                                           store_sync_tokens=False))
        self.outbound = Outbound(self.client)
        self.crypto = Crypto(self.client, self.outbound, settings.encryption, secret, settings.trust, settings.trusted_devices)
        self.outbound.prepare = self.crypto.ensure_room
        self.direct = DirectRooms(self.client, self.outbound, self._encrypt_direct)
        self.polls = NativePolls(self.client, self.outbound)
        self.pictures = Pictures(ports.services.files, self.crypto, self.outbound)
        self.inbox = ports.inbox(self)
        self.names: list[str] = []
        self.joined: set[str] = set()  # rooms joined during this run: an invitation seen again is not answered twice
        self.connected = False
        self.ready = asyncio.Event()  # set once the first sync batch is persisted (tests wait on it)
        self.syncer = Syncer(self.client, self.user_id, inbox=self.inbox, outbound=self.outbound, crypto=self.crypto,
                             polls=self.polls, direct=self.direct, topics=ports.topics, names=lambda: self.names,
                             relogin=self.relogin, ready=self.ready, timeout_ms=sync_timeout_ms)
        self._main: asyncio.Task | None = None
        self._sweeper: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self.elsewhere = False  # another process serves Matrix (encryption with several processes, role held elsewhere)
        self.held_before = False

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Returns at once: connecting and syncing run in the background, retrying while the homeserver is away."""
        self.elsewhere = self.crypto.enabled and not self.ports.alone  # until this process holds the keys
        self._main = asyncio.create_task(self._run(), name="matrix")

    async def stop(self) -> None:
        self._stopping.set()
        for task in (self._main, self._sweeper):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.inbox.stop()
        await self.outbound.stop()
        await self.crypto.stop()  # the store's last changes copied to the database
        await self.client.close()
        self.connected = False

    async def idle(self) -> None:
        """Wait until every stored event is handled (tests and the benchmark use it)."""
        await self.inbox.idle()

    @property
    def parked(self) -> int:
        return self.inbox.parked

    async def _run(self) -> None:
        if self.crypto.enabled and not self.ports.alone:
            # With encryption, one process holds the keys: the role's holder connects, handles and sends; the others
            # leave Matrix to it (their notifications wait for it, see Elsewhere).
            await self.ports.role("matrix").run(self._hold)
            return
        await self._connect_until_done()
        await self.inbox.resume()
        # Later sweeps take what an operator put back (`relais failed --retry`) or another process left.
        self._sweeper = asyncio.create_task(self.inbox.run(self._stopping), name="matrix-sweep")
        # One process syncs (the role's holder, from the stored token); every process sends and handles events.
        await self.ports.role("matrix").run(self.syncer.run)

    async def _hold(self) -> None:
        """The whole Matrix channel while this process holds the role (encryption with several processes)."""
        try:
            if self.held_before:  # another process held the keys meanwhile: take up its copy
                await self.crypto.reload()
            await self._connect_until_done()
            self.held_before = True
            self.elsewhere = False
            await self.inbox.resume()
            self._sweeper = asyncio.create_task(self.inbox.run(self._stopping), name="matrix-sweep")
            await self.syncer.run()
        finally:
            self.elsewhere = True
            if self._sweeper is not None:
                self._sweeper.cancel()
                await asyncio.gather(self._sweeper, return_exceptions=True)
                self._sweeper = None
            await asyncio.shield(self.crypto.stop())  # its last keys copied for the next holder

    async def _connect_until_done(self) -> None:
        delay = 1.0
        while not self.connected:
            try:
                await self._connect()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("matrix login failed", extra={"error": f"{type(exc).__name__}: {exc}"[:300], "retry_in": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 300.0)

    async def _connect(self) -> None:
        """Restore the kept session (same device across restarts), or log in with the token or the password."""
        saved = await self._session()
        token = self.access_token or saved.get("access_token")
        if token and not self.access_token and not await self.crypto.restore(saved.get("device_id", "")):
            # The kept device's keys are neither here nor in the database: other devices know it by keys Relais no
            # longer has, so it logs in as a new device.
            log.warning("matrix keys of the kept device lost: logging in as a new device", extra={"device_id": saved.get("device_id")})
            token = None
        if token:
            self.client.user_id, self.client.access_token = self.user_id, token  # the token's own device, asked first
            who = await self.client.whoami()
            if isinstance(who, WhoamiResponse):
                device = who.device_id or saved.get("device_id", "")
                if self.crypto.enabled and not device:
                    raise RuntimeError("the access token has no device, and encryption needs one: log in with a password, "
                                       "or set RELAIS_MATRIX_ENCRYPTION=false")
                await self.crypto.restore(device)
                self.client.restore_login(self.user_id, device, token)
            elif who.status_code == "M_UNKNOWN_TOKEN" and not self.access_token:
                await self.login(saved.get("device_id"))  # the kept token was revoked: same device, new token
            else:
                raise RuntimeError(f"access token refused: {who.status_code}")
        else:
            await self.login()
        self.crypto.loaded()  # the device is known now: its keys (made on the first start) are in the store
        await self._setup()
        await self.crypto.after_sync()  # our device keys and one-time keys up before the first message
        self.connected = True
        log.info("matrix connected", extra={"user_id": self.user_id, "device_id": self.client.device_id})

    async def login(self, device_id: str | None = None) -> None:
        if not self.password:
            raise RuntimeError("no RELAIS_MATRIX_PASSWORD nor RELAIS_MATRIX_ACCESS_TOKEN")
        self.client.device_id = device_id or None
        resp = await self.client.login(self.password, device_name="Relais")
        if not isinstance(resp, LoginResponse):
            raise RuntimeError(f"password login refused: {getattr(resp, 'status_code', resp)}")
        value = {"user_id": self.user_id, "homeserver": self.homeserver, "device_id": resp.device_id,
                 "access_token": resp.access_token}
        await AdapterState.update_or_create(key=SESSION_KEY, defaults={"value": json.dumps(value)})

    async def relogin(self) -> bool:
        """The kept token was revoked: log in again on the same device, when a password is configured."""
        if not self.password or self.access_token:
            return False
        await self.login(self.client.device_id)
        return True

    async def _session(self) -> dict:
        row = await AdapterState.get_or_none(key=SESSION_KEY)
        saved = json.loads(row.value) if row else {}
        if saved.get("user_id") != self.user_id or saved.get("homeserver") != self.homeserver:
            return {}  # another account or server: its device and token are not ours
        return saved

    async def _setup(self) -> None:
        resp = await self.outbound.call(lambda: self.client.upload_filter(
            room=sync_filter(self.timeline_limit), presence={"not_types": ["*"]}, account_data={"not_types": ["*"]}),
            "upload filter")
        if not isinstance(resp, UploadFilterResponse):
            raise RuntimeError("filter upload failed")
        self.syncer.filter_id = resp.filter_id
        name = await self.client.get_displayname(self.user_id)
        localpart = self.user_id[1:].split(":", 1)[0]
        self.names = [self.user_id, "@" + localpart, localpart, getattr(name, "displayname", None) or ""]

    # -- the contract: translate ------------------------------------------------------------------------

    async def translate(self, event: Event) -> Turn | None:
        d = event.payload
        kind = d["kind"]
        if kind == "message":
            return await self._message(event)
        if kind == "reaction":
            return await self._reaction(event)
        if kind == "poll_response":
            return await self._poll_response(event)
        if kind == "invite":
            return await self._invite(event)
        if kind == "encrypted":
            return await self._encrypted_event(event)
        if kind == "member_left" and await self.direct.partner(d["room_id"]) == d["user"]:
            await self.direct.forget(d["room_id"])  # the next notification opens a new direct chat
            return Turn(None, before=self._leave(event, d["room_id"], ""))
        return None

    async def _message(self, event: Event) -> Turn:
        d = event.payload
        room_id, sender = d["room_id"], d["sender"]
        direct = await self.direct.partner(room_id) == sender
        body = strip_reply_fallback(d["body"]) if d.get("reply") else d["body"]
        text, addressed = strip_mention(body, self.names, d.get("mentioned", False))
        origin = Origin.TYPED
        if is_number(text):  # a number answers the choices of the last message Relais sent this person here
            choice = await self.ports.choices.pick(where_of(room_id, sender), int(text),
                                                   fresh_for=None if direct else NUMBER_ANSWERS_FOR)
            if choice is not None:
                text, origin, addressed = "!" + choice.command, Origin.BUTTON, True
        files = (await download(self.client, self.outbound, d["media"]),) if d.get("media") else ()
        incoming = Incoming(platform=PLATFORM, address=sender, text=text, display_name=d.get("name") or "",
                            chat=None if direct else room_id, origin=origin, addressed=addressed, message_id=d["event_id"],
                            replying_to=replying_to(d), files=files)
        return Turn(incoming, self._where(event, room_id, sender, d["event_id"], d.get("thread"), direct))

    async def _reaction(self, event: Event) -> Turn | None:
        d = event.payload
        room_id, sender = d["room_id"], d["sender"]
        found = await self.ports.choices.pick_by_ref(d["target"], d["number"])
        if found is None or found[0] != where_of(room_id, sender):
            return None  # a keycap on any other message (or someone else's) is just a reaction
        direct = await self.direct.partner(room_id) == sender
        incoming = Incoming(platform=PLATFORM, address=sender, text="!" + found[1].command, display_name=d.get("name") or "",
                            chat=None if direct else room_id, origin=Origin.BUTTON, addressed=True, message_id=d["event_id"])
        return Turn(incoming, self._where(event, room_id, sender, d["target"], None, direct))

    async def _poll_response(self, event: Event) -> Turn | None:
        """An answer to a native poll Relais started: the vote command from that person, in that room."""
        d = event.payload
        room_id, sender = d["room_id"], d["sender"]
        row = await self.polls.started_by(d["target"])
        if row is None or row.chat != room_id:
            return None  # someone else's poll
        if row.closed:  # clients ignore answers after the end event too
            return Turn(None, outcome="poll closed")
        answers = d.get("answers") or []
        limit = await self.polls.max_selections(room_id, row.native_id) if len(answers) > 1 else None
        picked = ballot(answers, row.options, limit)
        incoming = Incoming(platform=PLATFORM, address=sender, text=f"!{row.vote} " + (" ".join(picked) or "clear"),
                            display_name=d.get("name") or "", chat=room_id, origin=Origin.BUTTON, addressed=True,
                            message_id=d["event_id"])
        where = self._where(event, room_id, sender, None, None, False)
        where["vote"] = d["event_id"]  # the answer is the poll's own display: nothing is said in the room
        return Turn(incoming, where)

    @staticmethod
    def _where(event: Event, room_id: str, sender: str, reply_to: str | None, thread: str | None, direct: bool) -> dict:
        return {"room": room_id, "user": sender, "reply_to": reply_to, "thread": thread,
                "mention": None if direct else sender, "txn": event.key}

    async def _invite(self, event: Event) -> Turn | None:
        d = event.payload
        room_id, inviter = d["room_id"], d["inviter"]
        if room_id in self.joined:  # the room's invite state changed before the join reached the sync
            return None
        allowed = await self.may_invite(inviter, d["direct"])
        try:
            joined = await self.outbound.call(lambda: self.client.join(room_id), "join", room_id)
        except SendRefused as exc:  # the invitation was withdrawn, or the room is gone
            log.info("matrix invitation gone", extra={"room_id": room_id, "error": exc.errcode})
            return None
        if not isinstance(joined, JoinResponse):
            return None
        self.joined.add(room_id)
        log.info("matrix invitation", extra={"room_id": room_id, "accepted": allowed, "direct": d["direct"]})
        t = await self._translator(inviter)
        if not allowed:
            return Turn(None, before=self._leave(event, room_id, t(REFUSED)))
        if not self.crypto.enabled and (d["encrypted"] or await self._encrypted(room_id)):
            return Turn(None, before=self._leave(event, room_id, t(ENCRYPTED)))
        if d["direct"]:
            await self.direct.remember(room_id, inviter)
            # Opening a direct chat is a person's first hello, as /start is on Telegram.
            incoming = Incoming(platform=PLATFORM, address=inviter, text="!start", origin=Origin.BUTTON, addressed=True)
            return Turn(incoming, self._where(event, room_id, inviter, None, None, True))
        return Turn(None, before=[{"op": "send", "room": room_id, "content": notice(t(WELCOME)), "txn": txn_id("welcome", event.key)}])

    async def _encrypted_event(self, event: Event) -> Turn | None:
        """Encryption turned on in a room (fine with encryption; without it Relais says why and leaves), or a message
        nio could not decrypt: logged without content, its key asked for, and the sender asked once to resend."""
        d = event.payload
        room_id, sender = d["room_id"], d.get("sender", "")
        if not self.crypto.enabled:
            return Turn(None, before=self._leave(event, room_id, (await self._translator(sender))(ENCRYPTED)))
        if d.get("type") != "m.room.encrypted":
            return Turn(None, outcome="room encrypted")
        log.warning("matrix message not decrypted", extra={"room_id": room_id, "event_id": d.get("event_id"),
                                                           "session_id": d.get("session_id")})
        if d.get("source"):
            await self.crypto.request_key({**d["source"], "room_id": room_id})
        if not await self.crypto.first_time(room_id, sender, d.get("session_id", "")):
            return Turn(None, outcome="not decrypted (asked already)")
        text = (await self._translator(sender))(UNREADABLE)
        content = to_content(Reply().para(text), in_reply_to=d.get("event_id"), mention=sender)
        return Turn(None, before=[{"op": "send", "room": room_id, "content": content, "txn": txn_id("unreadable", event.key)}],
                    outcome="not decrypted (sender asked to resend)")

    async def _encrypt_direct(self, user_id: str) -> bool:
        """Whether a direct chat Relais opens with this person is encrypted: encryption on, unless a community of theirs
        chose otherwise (`encryption off`)."""
        if not self.crypto.enabled:
            return False
        return await encrypted_chats(PLATFORM, user_id)

    async def may_invite(self, inviter: str, direct: bool) -> bool:
        """Listed users or servers, and whoever the community rules let in (services.people.may_invite)."""
        server = ":" + inviter.split(":", 1)[-1]
        if inviter in self.invite_allow or server in self.invite_allow:
            return True
        return await self.ports.services.people.may_invite(PLATFORM, inviter, direct)

    async def _encrypted(self, room_id: str) -> bool:
        # A 404 means no encryption; any other failure counts as plain too: a first encrypted message still gets the notice.
        resp = await self.client.room_get_state_event(room_id, "m.room.encryption")
        return isinstance(resp, RoomGetStateEventResponse) and bool(resp.content.get("algorithm"))

    async def _translator(self, user_id: str):
        account = await Account.get_or_none(platform=PLATFORM, address=user_id).select_related("person")
        return self.ports.catalogs.get((account and account.person.locale) or self.ports.default_locale)

    @staticmethod
    def _leave(event: Event, room_id: str, text: str) -> list[dict]:
        """Say why (a plain notice: nio without olm cannot encrypt, and clients still show it), then leave."""
        actions = [{"op": "send", "room": room_id, "content": notice(text), "txn": txn_id("leave", event.key)}] if text else []
        return actions + [{"op": "leave", "room": room_id, "reason": text}]

    # -- render and perform -------------------------------------------------------------------------------

    async def render(self, reply: Reply, where: dict) -> Plan:
        room = where["room"]
        if where.get("vote"):
            return Plan(self._voted(reply, where))
        # A poll of a community room is a native poll: the notice keeps the rest, without the choices that vote.
        text, polls = split(reply, direct=where.get("direct") or await self.direct.partner(room) is not None)
        set_id = await self.ports.choices.store(text.choices) if text.choices and where.get("user") else None
        actions: list[dict] = []
        if has_text(text):
            content = to_content(text, in_reply_to=where.get("reply_to"), thread_root=where.get("thread"),
                                 mention=where.get("mention"))
            action = {"op": "send", "room": room, "content": content, "txn": txn_id("reply", where["txn"])}
            if where.get("user"):  # a room's notice offers nobody in particular its numbers
                action["offer"] = {"where": where_of(room, where["user"]), "set": set_id}
            actions.append(action)
        actions += [self.polls.start(room, poll, txn_id("poll", where["txn"], str(n)), where.get("thread"))
                    for n, poll in enumerate(polls)]
        actions += await self.polls.ends(reply, room)
        actions += self._files(reply, room, where["txn"])
        return Plan(actions)

    @staticmethod
    def _voted(reply: Reply, where: dict) -> list[dict]:
        """The core's answer to a poll response stays out of the room (the poll shows the vote): it is logged, and
        a read receipt tells the voter it was seen."""
        where["outcome"] = "vote refused" if reply.error else "voted"
        log.info("matrix poll answer", extra={"room_id": where["room"], "user": where["user"], "error": reply.error,
                                              "answer": body_text(reply)[:300]})
        return [{"op": "receipt", "room": where["room"], "event": where["vote"]}]

    @staticmethod
    def _files(reply: Reply, room: str, key: str) -> list[dict]:
        return [{"op": "file", "room": room, "filename": item.filename, "mime": item.mime, "caption": item.caption,
                 "data": base64.b64encode(item.data).decode("ascii"), "txn": txn_id("file", key, str(n))}
                for n, item in enumerate(reply.elements(Attachment))] + picture_actions(reply, room, key)

    async def perform(self, action: dict) -> str | None:
        if action.get("again") and action.get("txn"):
            self.outbound.may_be_sent(action["txn"])  # looked for among Relais' latest events before it is sent
        if action.get("notice"):
            return await self._notice(action)
        try:
            return await self._call(action)
        except SendRefused as exc:  # Relais is no longer in that room: nobody left to answer
            log.warning("matrix call refused", extra={"op": action["op"], "room_id": action["room"], "error": exc.errcode})
            return None

    async def _call(self, action: dict) -> str | None:
        op, room = action["op"], action["room"]
        if op == "leave":
            await self.leave(room, action.get("reason", ""))
            return None
        if op in ("file", "picture"):
            return await self._send_file(action)
        if op == "poll":
            return await self.polls.send_start(action)
        if op == "poll_end":
            return await self.polls.send_end(action)
        if op == "receipt":
            await self.polls.receipt(room, action["event"])
            return None
        return await self.outbound.send(room, action["content"], action["txn"]) or None

    async def _send_file(self, action: dict) -> str | None:
        if action["op"] == "picture":  # a picture of the file store: uploaded once, its mxc:// reused
            return await self.pictures.send(action)
        data = base64.b64decode(action["data"])
        item = Attachment(action["filename"], action["mime"], data, action.get("caption", ""))
        await self.crypto.ensure_room(action["room"])
        encrypt = self.crypto.encrypted(action["room"])  # an encrypted room gets an encrypted file (m.file's `file`)
        uri, keys = await self.crypto.upload(data, item.mime, item.filename, encrypt)
        return await self.outbound.send(action["room"], file_content(item, uri, keys), action["txn"]) or None

    async def leave(self, room_id: str, reason: str = "") -> None:
        """Leave a room, with the reason shown in its timeline (nio's room_leave has no reason)."""
        path = f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/leave"
        try:
            resp = await self.client.send("POST", path, json.dumps({"reason": reason} if reason else {}),
                                          headers={"Authorization": f"Bearer {self.client.access_token}",
                                                   "Content-Type": "application/json"})
            resp.release()
        except Exception as exc:
            log.warning("matrix leave failed", extra={"room_id": room_id, "error": type(exc).__name__})

    # -- notifications ------------------------------------------------------------------------------------

    def _serving(self) -> None:
        if self.elsewhere:
            raise Elsewhere("Matrix is served by the process holding its keys")
        if not self.connected:
            raise TemporaryFailure("Matrix is not connected yet")

    async def destination(self, account: Account | None, chat: str, message: OutboxMessage) -> dict:
        """A person's direct chat with Relais (opened if needed), or a room bound to a community (the weekly summary).
        The transaction ids come from the outbox id: a call repeated after a crash is not posted twice."""
        if account is not None and (not account.address.startswith("@") or ":" not in account.address):
            raise Unreachable(f"not a Matrix user id: {account.address[:80]}")
        self._serving()
        user = account.address if account is not None else None
        room_id = await self.direct.with_user(user) if user is not None else chat
        answered, root = await self._threading(room_id, user, message)
        return {"room": room_id, "user": user, "direct": user is not None, "reply_to": answered, "thread": root,
                "txn": f"outbox-{message.id}"}

    async def _notice(self, action: dict) -> str | None:
        """A notification's call: a failure is retried later."""
        self._serving()
        try:
            return await self._call(action)
        except SendRefused as exc:
            if await self.direct.partner(action["room"]) is not None:  # removed from the chat: the next try opens a new one
                await self.direct.forget(action["room"])
            raise TemporaryFailure(f"not in the room: {exc.errcode}") from exc
        except SendFailed as exc:
            raise TemporaryFailure(str(exc)) from exc

    async def _threading(self, room_id: str, user: str | None, message: OutboxMessage) -> tuple[str | None, str | None]:
        """(the event answered, its thread's root) when the notification answers a message of this room (a comment's
        answer goes under the comment, inside its thread when it was written in one)."""
        target = (message.payload or {}).get("reply_to") or {}
        ref = target.get("ref")
        if target.get("platform") != PLATFORM or not isinstance(ref, str):
            return None, None
        if (target.get("chat") or None) != (None if user is not None else room_id):
            return None, None
        if user is not None and (message.payload or {}).get("via") != f"{PLATFORM}:{user}":
            return None, None
        resp = await self.client.room_get_event(room_id, ref)
        rel = (getattr(getattr(resp, "event", None), "source", None) or {}).get("content", {}).get("m.relates_to") or {}
        return ref, rel.get("event_id") if rel.get("rel_type") == "m.thread" else None
