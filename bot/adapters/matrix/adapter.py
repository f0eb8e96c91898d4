"""The Matrix adapter: logs in once and keeps its device, syncs without loss or replay, one ordered lane per room."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from urllib.parse import quote

from nio import AsyncClient, AsyncClientConfig, LoginResponse, UploadFilterResponse, WhoamiResponse

from bot.adapters.matrix.channel import DirectRooms, MatrixChannel
from bot.adapters.matrix.events import PLATFORM, TIMELINE_LIMIT, Job, sync_filter
from bot.adapters.matrix.inbound import Inbound
from bot.adapters.matrix.outbound import Outbound, SendRefused
from bot.adapters.matrix.sync import Syncer
from models import AdapterState, InboundEvent, InboundStatus
from models.matrix import MatrixPrompt

log = logging.getLogger("relais.matrix")

SESSION_KEY = "matrix:session"
KEEP = timedelta(days=30)  # handled events and offered choices older than this are pruned at start
MAX_TRIES = 3  # a job that keeps failing is parked as failed with its error after this many tries


class MatrixAdapter:
    name = PLATFORM

    def __init__(self, app, timeline_limit: int = TIMELINE_LIMIT, sync_timeout_ms: int = 30000, lanes: int = 32):
        settings = app.settings.matrix
        self.app = app
        self.homeserver = settings.homeserver.rstrip("/")
        self.user_id = settings.user_id
        self.password = settings.password.get_secret_value()
        self.access_token = settings.access_token.get_secret_value()
        self.invite_allow = {part.strip() for part in settings.invite_allow.split(",") if part.strip()}
        self.timeline_limit = timeline_limit
        self.sync_timeout_ms = sync_timeout_ms
        # Rate limits and timeouts are handled by Outbound (nio would retry a 429 forever, holding the caller).
        self.client = AsyncClient(self.homeserver, self.user_id, config=AsyncClientConfig(
            max_limit_exceeded=0, max_timeouts=2, encryption_enabled=False, store_sync_tokens=False))
        self.outbound = Outbound(self.client)
        self.direct = DirectRooms()
        self.inbound = Inbound(self)
        self.syncer = Syncer(self)
        self.channel = MatrixChannel(self)
        app.delivery.register(self.channel)
        self.names: list[str] = []
        self.connected = False
        self.ready = asyncio.Event()  # set once the first sync batch is persisted (tests wait on it)
        self.parked = 0  # jobs given up after MAX_TRIES
        self._lanes = asyncio.Semaphore(lanes)
        self._tails: dict[str, asyncio.Task] = {}
        self._tasks: set[asyncio.Task] = set()
        self._main: asyncio.Task | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Returns at once: connecting and syncing run in the background, retrying while the homeserver is away."""
        self._main = asyncio.create_task(self._run(), name="matrix")

    async def stop(self) -> None:
        for task in [self._main, *self._tasks]:
            if task:
                task.cancel()
        await asyncio.gather(*[t for t in [self._main, *self._tasks] if t], return_exceptions=True)
        await self.outbound.stop()
        await self.client.close()
        self.connected = False

    async def _run(self) -> None:
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
        await self._resume()
        await self.syncer.run()

    async def _connect(self) -> None:
        """Restore the kept session (same device across restarts), or log in with the token or the password."""
        saved = await self._session()
        token = self.access_token or saved.get("access_token")
        if token:
            self.client.restore_login(self.user_id, saved.get("device_id", ""), token)
            who = await self.client.whoami()
            if isinstance(who, WhoamiResponse):
                self.client.device_id = who.device_id or saved.get("device_id", "")
            elif who.status_code == "M_UNKNOWN_TOKEN" and not self.access_token:
                await self.login(saved.get("device_id"))  # the kept token was revoked: same device, new token
            else:
                raise RuntimeError(f"access token refused: {who.status_code}")
        else:
            await self.login()
        await self._setup()
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

    # -- jobs: one lane per room keeps a room's events in order; rooms run side by side ---------------

    async def _resume(self) -> None:
        """Events persisted by a previous run but not handled yet are handled first, in their order."""
        old = self.app.clock() - KEEP
        await MatrixPrompt.filter(created_at__lt=old).delete()
        await InboundEvent.filter(platform=PLATFORM, status=InboundStatus.DONE, created_at__lt=old).delete()
        rows = await InboundEvent.filter(platform=PLATFORM, status=InboundStatus.PENDING).order_by("id")
        for row in rows:
            self.submit(Job.from_payload(row.key, row.payload))
        if rows:
            log.info("matrix resumed pending events", extra={"count": len(rows)})

    def submit(self, job: Job) -> None:
        previous = self._tails.get(job.room_id)
        task = asyncio.create_task(self._lane(previous, job))
        self._tails[job.room_id] = task
        self._tasks.add(task)
        task.add_done_callback(lambda t, room=job.room_id: self._finished(room, t))

    def _finished(self, room_id: str, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if self._tails.get(room_id) is task:
            del self._tails[room_id]

    async def idle(self) -> None:
        """Wait until every submitted job is handled (tests and the benchmark use it)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _lane(self, previous: asyncio.Task | None, job: Job) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        async with self._lanes:
            for attempt in range(1, MAX_TRIES + 1):
                try:
                    await self.inbound.handle(job)
                    return
                except asyncio.CancelledError:
                    raise  # stopping: the event stays pending and is handled at the next start
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"[:300]
                    log.warning("matrix job failed", extra={"key": job.key, "kind": job.kind, "error": error, "try": attempt})
                    if attempt == MAX_TRIES or isinstance(exc, SendRefused):
                        # Parked with its error, never dropped: `relais` operators can see and replay it.
                        self.parked += 1
                        await InboundEvent.filter(key=job.key).update(status=InboundStatus.FAILED, attempts=attempt,
                                                                      last_error=error)
                        return
                    await InboundEvent.filter(key=job.key).update(attempts=attempt, last_error=error)
                    await asyncio.sleep(2.0 ** attempt)
