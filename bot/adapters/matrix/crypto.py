"""End-to-end encryption with matrix-nio's own support (vodozemac): the keys in a store under the data directory, the
key traffic after each sync, trust on first use for members' devices, rooms known before a send, and messages that
could not be decrypted answered once with a request to resend.

nio keeps its keys in a local SQLite file (it has no PostgreSQL store): the store survives restarts and `kill -9` (each
change is one SQLite transaction), and one process holds it — with several processes, Matrix is given to one of them.
A copy of the store, encrypted with a key derived from RELAIS_SECRET_KEY, is kept in the database (`matrix_keys`): a
process started where the store is missing (another machine, a lost volume) takes it up and reads the rooms as before.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import logging
import os
import sqlite3
import time
import zlib
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from Crypto.Cipher import AES
from nio import AsyncClient, JoinedMembersResponse, RoomGetStateEventResponse, RoomGetStateResponse, RoomKeyRequest, RoomKeyRequestCancellation, UploadResponse
from nio.rooms import MatrixRoom

from bot.adapters.matrix.outbound import Outbound, SendFailed
from models import AdapterState
from models.matrix import MatrixKeys

log = logging.getLogger("relais.matrix")
ASKED_KEY = "matrix:resend:{room}:{sender}:{session}"
BACKUP_GAP = 2.0  # seconds at least between two copies of a changed store to the database (and one at stop)
REQUEST_TRIES = 20  # syncs a key request waits for its device to be known and trusted


def store_path(data_dir: Path) -> Path:
    path = data_dir / "matrix-store"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Crypto:
    """What encryption adds to the adapter; every method is a no-op when encryption is off."""

    def __init__(self, client: AsyncClient, outbound: Outbound, enabled: bool, secret: str = "", trust: str = "first-use",
                 listed: str = ""):
        self.client = client
        self.outbound = outbound
        self.enabled = enabled and client.config.encryption_enabled
        self.listed: set[str] | None = None if trust == "first-use" else \
            {item.strip() for item in listed.split(",") if item.strip()}  # trust=listed: user/device
        self.backup = KeyBackup(client, secret)
        self.requests: dict[str, tuple[RoomKeyRequest, int]] = {}  # members' devices asking for a room key, and tries
        self.shared = 0  # room keys forwarded to members' devices (logged; tests read it)
        self._querying = asyncio.Lock()

    async def restore(self, device_id: str) -> bool:
        """Before the session is restored: the device's store from the database when it is missing here. False when
        there is neither (the device's keys are lost: a new device is needed)."""
        if not self.enabled or not device_id:
            return True
        return await self.backup.restore(device_id)

    def loaded(self) -> None:
        """The device is known (login, or a kept session): open its store."""
        if self.enabled and self.client.device_id and self.client.olm is None:
            self.client.load_store()

    async def after_sync(self) -> None:
        """The key traffic a sync calls for: our one-time keys, members' device keys, sessions to claim, room keys to
        send; members' new devices are trusted on first use."""
        if not self.enabled or self.client.olm is None:
            return
        client, call = self.client, self.outbound.call
        if client.should_upload_keys:
            await call(client.keys_upload, "keys upload")
        await self.query_keys()
        await self.share_requested_keys()
        if client.should_claim_keys:
            users = client.get_users_for_key_claiming()
            if users:
                await call(lambda: client.keys_claim(users), "keys claim")
                await self.share_requested_keys()  # the requests that waited for an Olm session with their device
        if client.outgoing_to_device_messages:
            await call(client.send_to_device_messages, "to-device")
        await self.backup.save()

    async def reload(self) -> None:
        """Taking the keys back after another process held them: its copy in the database replaces this one."""
        client = self.client
        if not self.enabled or client.olm is None or not client.device_id or self.backup.key is None:
            return
        client.olm, client.store = None, None
        self.backup.path(client.device_id).unlink(missing_ok=True)
        self.backup.digest = ""
        await self.backup.restore(client.device_id)
        client.load_store()

    async def stop(self) -> None:
        self.backup.cancel()
        if self.enabled and self.client.olm is not None:
            await self.backup.save(force=True)

    def note_requests(self, to_device: list) -> None:
        """A sync's key requests: nio answers its own devices' and drops the others' (it passes none to callbacks), so a
        member's are kept here for share_requested_keys."""
        for event in to_device:
            if not isinstance(event, (RoomKeyRequest, RoomKeyRequestCancellation)) or event.sender == self.client.user_id:
                continue
            if isinstance(event, RoomKeyRequestCancellation):
                self.requests.pop(event.request_id, None)
            elif len(self.requests) < 1000:
                self.requests[event.request_id] = (event, 0)

    async def share_requested_keys(self) -> int:
        """A member's device asking for a room key (a new phone reading what Relais wrote before it existed): the key is
        forwarded when Relais made that session, the asker is a member of the room now and the device is trusted (on first
        use). A device not known yet is waited for a few syncs; an Olm session with it is claimed first when missing."""
        olm = self.client.olm
        if not self.requests or olm is None:
            return 0
        own = olm.account.identity_keys["curve25519"]
        shared = 0
        for request_id, (request, tries) in list(self.requests.items()):
            room = self.client.rooms.get(request.room_id)
            group = olm.inbound_group_store.get(request.room_id, request.sender_key, request.session_id)
            if room is not None and not room.members_synced:
                await self.outbound.call(partial(self.client.joined_members, request.room_id), "members", request.room_id)
            if room is None or group is None or request.sender_key != own or request.sender not in room.users:
                del self.requests[request_id]  # not Relais' key to give, or not to this person
                log.info("matrix key request declined", extra={"room_id": request.room_id, "user_id": request.sender})
                continue
            device = olm.device_store.active_user_devices(request.sender)
            device = next((d for d in device if d.device_id == request.requesting_device_id), None)
            session = olm.session_store.get(device.curve25519) if device is not None else None
            if device is None or not device.verified or session is None:
                if device is not None and device.verified and session is None and device not in olm.key_request_devices_no_session:
                    olm.key_request_devices_no_session.append(device)  # an Olm session to claim first
                if tries + 1 >= REQUEST_TRIES:
                    del self.requests[request_id]
                else:
                    self.requests[request_id] = (request, tries + 1)
                continue
            olm.outgoing_to_device_messages.append(olm._encrypt_forwarding_key(request.room_id, group, session, device))
            del self.requests[request_id]
            shared += 1
        if shared:
            self.shared += shared
            log.info("matrix room keys shared", extra={"keys": shared})
        return shared

    def trust_new_devices(self) -> int:
        """Trust on first use: members will never verify a bot, so each device seen for the first time is trusted; a
        known device whose keys change is refused by nio (and logged by it). With trust=listed, a device not listed is
        blacklisted instead: it never gets a room key."""
        trusted = refused = 0
        for device in self.client.device_store:
            if device.user_id == self.client.user_id and device.id == self.client.device_id:
                continue
            if device.verified or device.blacklisted or device.deleted:
                continue
            if self.listed is None or f"{device.user_id}/{device.id}" in self.listed:
                self.client.verify_device(device)
                trusted += 1
            else:
                self.client.blacklist_device(device)
                refused += 1
        if trusted or refused:
            log.info("matrix devices seen", extra={"trusted": trusted, "not_listed": refused})
        return trusted

    async def ensure_room(self, room_id: str) -> None:
        """nio encrypts a send only to a room it knows: one it has not synced yet (just joined, or just created) is
        looked up — its encryption and its members — so a message to an encrypted room never goes out in clear."""
        if not self.enabled or self.client.olm is None:
            return
        room = self.client.rooms.get(room_id)
        if room is None:
            state = await self.client.room_get_state_event(room_id, "m.room.encryption")
            encrypted = isinstance(state, RoomGetStateEventResponse) and bool(state.content.get("algorithm"))
            room = self.client.rooms[room_id] = MatrixRoom(room_id, self.client.user_id, encrypted)
        if not room.encrypted:
            return
        if not room.members_synced:
            members = await self.outbound.call(lambda: self.client.joined_members(room_id), "members", room_id)
            if not isinstance(members, JoinedMembersResponse):
                raise SendFailed("members of an encrypted room unknown")
            await self._invited(room)
        # A member who joined in the batch being handled: their devices are asked for now, not after the batch, so the
        # room key of this send reaches them.
        await self.query_keys(room_id)

    async def _invited(self, room: MatrixRoom) -> None:
        """Who is invited counts too (nio's joined members leave them out): a direct chat Relais just opened sends its
        first message before the person joins, and they must be able to read it."""
        state = await self.outbound.call(lambda: self.client.room_get_state(room.room_id), "state", room.room_id)
        if not isinstance(state, RoomGetStateResponse):
            return
        for event in state.events:
            content = event.get("content") or {}
            if event.get("type") == "m.room.member" and content.get("membership") == "invite" and event.get("state_key"):
                room.add_member(event["state_key"], content.get("displayname"), content.get("avatar_url"), invited=True)
        if self.client.olm is not None:
            self.client.olm.update_tracked_users(room)

    async def query_keys(self, room_id: str = "") -> None:
        """Members' device keys, when nio has users to ask about (one query at a time); new devices trusted."""
        async with self._querying:
            if self.client.should_query_keys:
                await self.outbound.call(self.client.keys_query, "keys query", room_id)
        self.trust_new_devices()

    def encrypted(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return bool(self.enabled and room is not None and room.encrypted)

    async def upload(self, data: bytes, mime: str, filename: str, encrypt: bool) -> tuple[str, dict | None]:
        """A file to the media repository (encrypted for an encrypted room): its mxc:// URI, and its keys if encrypted."""
        resp, keys = await self.outbound.call(lambda: self.client.upload(io.BytesIO(data), content_type=mime, filename=filename,
                                                                          filesize=len(data), encrypt=encrypt), "upload")
        if not isinstance(resp, UploadResponse):
            raise SendFailed("upload failed")
        return resp.content_uri, keys

    async def first_time(self, room_id: str, sender: str, session: str) -> bool:
        """Whether Relais has not asked this sender yet to resend what this session encrypted (it asks once)."""
        key = ASKED_KEY.format(room=room_id, sender=sender, session=session)[:200]
        _, created = await AdapterState.get_or_create(key=key, defaults={"value": "asked"})
        return created

    async def request_key(self, event_source: dict) -> None:
        """Ask the sender's devices for the room key of an event Relais could not decrypt (they may share it)."""
        if not self.enabled or self.client.olm is None:
            return
        from nio import MegolmEvent

        try:
            event = MegolmEvent.from_dict(event_source)
            if isinstance(event, MegolmEvent):
                await self.client.request_room_key(event)
        except Exception as exc:  # a key request is a courtesy: the notice asks the sender anyway
            log.info("matrix room key not requested", extra={"error": type(exc).__name__})


class KeyBackup:
    """The crypto store copied into the database, encrypted (AES-GCM under a key derived from RELAIS_SECRET_KEY): what a
    process started without the local store needs. Without a secret key there is no copy (the database alone must not
    hold the keys): the local store is then the only one."""

    def __init__(self, client: AsyncClient, secret: str):
        self.client = client
        self.key = hmac.new(secret.encode(), b"relais/matrix-keys/v1", hashlib.sha256).digest() if secret else None
        self.digest = ""
        self.at = 0.0
        self.mark: tuple[int, int] | None = None  # the store file's (mtime, size) at the last copy
        self.saved = 0  # copies written (tests read it)
        self.later: asyncio.Task | None = None  # the copy of a change that came within BACKUP_GAP of the last one

    @property
    def user_id(self) -> str:
        return self.client.user_id or self.client.user  # before a login, only the configured user is known

    def path(self, device_id: str) -> Path:
        return Path(self.client.store_path or ".") / f"{self.user_id}_{device_id}.db"

    async def restore(self, device_id: str) -> bool:
        path = self.path(device_id)
        if path.exists():
            return True
        row = await MatrixKeys.get_or_none(user_id=self.user_id, device_id=device_id)
        if row is None or self.key is None:
            return False
        try:
            raw = base64.b64decode(row.data)
            plain = zlib.decompress(AES.new(self.key, AES.MODE_GCM, nonce=raw[:12]).decrypt_and_verify(raw[28:], raw[12:28]))
        except (ValueError, zlib.error):
            log.error("matrix keys copy unreadable (RELAIS_SECRET_KEY changed?)", extra={"device_id": device_id})
            return False
        temporary = path.with_suffix(".restoring")
        temporary.write_bytes(plain)
        os.replace(temporary, path)
        self.digest = hashlib.sha256(plain).hexdigest()
        log.info("matrix keys restored from the database", extra={"device_id": device_id, "bytes": len(plain)})
        return True

    async def save(self, force: bool = False) -> bool:
        """A copy of the store when its file changed (nio writes each new key at once), at most every BACKUP_GAP
        seconds — a change within the gap is copied when it ends — and at stop."""
        device_id = self.client.device_id
        if self.key is None or self.client.store is None or not device_id:
            return False
        path = self.path(device_id)
        stat = path.stat()
        mark = (stat.st_mtime_ns, stat.st_size)
        now = time.monotonic()
        if not force and mark == self.mark:
            return False
        if not force and now - self.at < BACKUP_GAP:
            if self.later is None or self.later.done():
                self.later = asyncio.create_task(self._save_later(BACKUP_GAP - (now - self.at)))
            return False
        self.at, self.mark = now, mark
        plain = await asyncio.to_thread(_snapshot, path)
        digest = hashlib.sha256(plain).hexdigest()
        if digest == self.digest:
            return False
        nonce = os.urandom(12)
        sealed, tag = AES.new(self.key, AES.MODE_GCM, nonce=nonce).encrypt_and_digest(zlib.compress(plain, 6))
        data = base64.b64encode(nonce + tag + sealed).decode()
        await MatrixKeys.update_or_create(user_id=self.user_id, device_id=device_id,
                                          defaults={"data": data, "digest": digest, "saved_at": datetime.now(timezone.utc)})
        self.digest = digest
        self.saved += 1
        return True


    async def _save_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self.save()
        except Exception:  # the next sync's copy takes over; the local store is untouched
            log.exception("matrix keys copy failed")

    def cancel(self) -> None:
        if self.later is not None and not self.later.done():
            self.later.cancel()


def _snapshot(path: Path) -> bytes:
    """A consistent copy of a SQLite file that nio may be writing (SQLite's backup API), as bytes."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    copy = sqlite3.connect(":memory:")
    try:
        source.backup(copy)
        return copy.serialize()
    finally:
        source.close()
        copy.close()
