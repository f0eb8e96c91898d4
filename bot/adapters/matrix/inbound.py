"""Handles one persisted Matrix job: messages and reactions go to the core, invitations and encryption are answered."""

from __future__ import annotations

import logging
from datetime import timedelta

from nio import JoinResponse, RoomGetStateEventResponse
from tortoise.transactions import in_transaction

from bot.adapters.matrix.channel import remember_prompt
from bot.adapters.matrix.events import PLATFORM, Job, strip_mention, strip_reply_fallback, txn_id
from bot.adapters.matrix.outbound import SendRefused
from bot.adapters.matrix.render import notice, to_content
from bot.core.i18n import N_
from bot.core.incoming import Incoming, Origin
from models import Account, InboundEvent, InboundStatus, Membership, Role
from models.matrix import MatrixPrompt

log = logging.getLogger("relais.matrix")
NUMBER_ANSWERS_FOR = timedelta(hours=24)

REFUSED = N_("Hello! I only join rooms when a facilitator of a community invites me, so I am leaving this one. "
             "Ask a facilitator to invite me, or to add you to a community first.")
ENCRYPTED = N_("This room is end-to-end encrypted and I cannot read encrypted rooms yet, so I am leaving it. "
               "Invite me to an unencrypted room, or start a direct chat with me without encryption.")
WELCOME = N_("Hello! I am Relais. A facilitator can bind this room to a community with !bind <community>. "
             "Type !help to see what I can do.")


class Inbound:
    def __init__(self, adapter):
        self.adapter = adapter
        self.left: set[str] = set()  # rooms left during this run: their queued events need no answer
        self.joined: set[str] = set()  # rooms joined during this run: an invitation seen again is not answered twice

    async def handle(self, job: Job) -> None:
        """Do the job, then mark its InboundEvent done (with the prompt it produced, in one transaction)."""
        if job.room_id in self.left and job.kind != "invite":
            await self._done(job)
            return
        handler = getattr(self, f"_on_{job.kind}")
        await handler(job)

    async def _done(self, job: Job, prompt: tuple | None = None) -> None:
        async with in_transaction() as conn:
            if prompt:
                await remember_prompt(*prompt, connection=conn)
            await InboundEvent.filter(key=job.key).using_db(conn).update(
                status=InboundStatus.DONE, handled_at=self.adapter.app.clock())

    # -- messages and reactions: translated to Incoming, answered as a reply ---------------------------

    async def _on_message(self, job: Job) -> None:
        d, room_id = job.data, job.room_id
        partner = await self.adapter.direct.partner(room_id)
        direct = partner == d["sender"]
        body = strip_reply_fallback(d["body"]) if d.get("reply") else d["body"]
        text, addressed = strip_mention(body, self.adapter.names, d.get("mentioned", False))
        origin = Origin.TYPED
        if text.isdigit():  # a number answers the choices of the last message Relais sent this person here
            prompt = await MatrixPrompt.filter(room_id=room_id, user_id=d["sender"]).order_by("-created_at").first()
            number = int(text)
            # In a room, a bare number long after the question is more likely chatter than an answer.
            fresh = direct or (prompt and self.adapter.app.clock() - prompt.created_at < NUMBER_ANSWERS_FOR)
            if prompt and fresh and 1 <= number <= len(prompt.choices):
                text, origin, addressed = "!" + prompt.choices[number - 1][1], Origin.BUTTON, True
        incoming = Incoming(platform=PLATFORM, address=d["sender"], text=text, display_name=d.get("name") or "",
                            chat=None if direct else room_id, origin=origin, addressed=addressed, message_id=d["event_id"])
        await self._answer(job, incoming, reply_to=d["event_id"], thread=d.get("thread"), direct=direct)

    async def _on_reaction(self, job: Job) -> None:
        d, room_id = job.data, job.room_id
        prompt = await MatrixPrompt.get_or_none(event_id=d["target"])
        if prompt is None or prompt.room_id != room_id or not 1 <= d["number"] <= len(prompt.choices):
            await self._done(job)  # a keycap on any other message is just a reaction
            return
        direct = await self.adapter.direct.partner(room_id) == d["sender"]
        incoming = Incoming(platform=PLATFORM, address=d["sender"], text="!" + prompt.choices[d["number"] - 1][1],
                            display_name=d.get("name") or "", chat=None if direct else room_id, origin=Origin.BUTTON,
                            addressed=True, message_id=d["event_id"])
        await self._answer(job, incoming, reply_to=d["target"], thread=None, direct=direct)

    async def _answer(self, job: Job, incoming: Incoming, reply_to: str, thread: str | None, direct: bool) -> None:
        if job.reply is None:
            job.reply = await self.adapter.app.dispatcher.handle(incoming) or False
        reply = job.reply
        if not reply:
            await self._done(job)
            return
        content = to_content(reply, in_reply_to=reply_to, thread_root=thread, mention=None if direct else incoming.address)
        try:
            event_id = await self.adapter.outbound.send(job.room_id, content, txn_id("reply", job.key))
        except SendRefused as exc:  # Relais is no longer in that room: nobody left to answer
            log.warning("matrix reply refused", extra={"room_id": job.room_id, "error": exc.errcode})
            await self._done(job)
            return
        await self._done(job, (event_id, job.room_id, incoming.address, reply))

    # -- invitations ---------------------------------------------------------------------------------

    async def _on_invite(self, job: Job) -> None:
        d, room_id = job.data, job.room_id
        adapter = self.adapter
        if room_id in self.joined:  # the room's invite state changed before the join reached the sync
            await self._done(job)
            return
        allowed = await self.may_invite(d["inviter"], d["direct"])
        try:
            joined = await adapter.outbound.call(lambda: adapter.client.join(room_id), "join", room_id)
        except SendRefused as exc:  # the invitation was withdrawn, or the room is gone
            log.info("matrix invitation gone", extra={"room_id": room_id, "error": exc.errcode})
            joined = None
        if not isinstance(joined, JoinResponse):
            await self._done(job)
            return
        self.left.discard(room_id)
        self.joined.add(room_id)
        log.info("matrix invitation", extra={"room_id": room_id, "accepted": allowed, "direct": d["direct"]})
        t = await self._translator(d["inviter"])
        if not allowed:
            await self._leave(job, t(REFUSED))
            return
        if d["encrypted"] or await self._encrypted(room_id):
            await self._leave(job, t(ENCRYPTED))
            return
        if d["direct"]:
            await adapter.direct.remember(room_id, d["inviter"])
            # Opening a direct chat is a person's first hello, as /start is on Telegram.
            incoming = Incoming(platform=PLATFORM, address=d["inviter"], text="!start", origin=Origin.BUTTON, addressed=True)
            await self._answer(job, incoming, reply_to=None, thread=None, direct=True)
            return
        await adapter.outbound.send(room_id, notice(t(WELCOME)), txn_id("welcome", job.key))
        await self._done(job)

    async def may_invite(self, inviter: str, direct: bool) -> bool:
        """Listed users or servers, facilitators of a community, and for a direct chat any member of one."""
        server = ":" + inviter.split(":", 1)[-1]
        if inviter in self.adapter.invite_allow or server in self.adapter.invite_allow:
            return True
        account = await Account.get_or_none(platform=PLATFORM, address=inviter)
        if account is None:
            return False
        needed = Role.OBSERVER if direct else Role.FACILITATOR
        return await Membership.filter(person_id=account.person_id, role__gte=needed).exists()

    async def _encrypted(self, room_id: str) -> bool:
        # A 404 means no encryption; any other failure counts as plain too: a first encrypted message still gets the notice.
        resp = await self.adapter.client.room_get_state_event(room_id, "m.room.encryption")
        return isinstance(resp, RoomGetStateEventResponse) and bool(resp.content.get("algorithm"))

    async def _translator(self, user_id: str):
        app = self.adapter.app
        account = await Account.get_or_none(platform=PLATFORM, address=user_id).select_related("person")
        return app.catalogs.get((account and account.person.locale) or app.settings.core.default_locale)

    # -- encryption turned on, people leaving ----------------------------------------------------------

    async def _on_encrypted(self, job: Job) -> None:
        t = await self._translator(job.data.get("sender", ""))
        await self._leave(job, t(ENCRYPTED))

    async def _on_member_left(self, job: Job) -> None:
        if await self.adapter.direct.partner(job.room_id) == job.data["user"]:
            await self.adapter.direct.forget(job.room_id)  # the next notification opens a new direct chat
            await self._leave(job, "")
            return
        await self._done(job)

    async def _leave(self, job: Job, text: str) -> None:
        """Say why (a plain notice: nio without olm cannot encrypt, and clients still show it), then leave."""
        adapter = self.adapter
        if text:
            try:
                await adapter.outbound.send(job.room_id, notice(text), txn_id("leave", job.key))
            except SendRefused:
                pass
        self.left.add(job.room_id)
        self.joined.discard(job.room_id)
        await adapter.leave(job.room_id, text)
        await self._done(job)
