"""What Relais answers to each update: the core decides, this plans the Bot API calls, stores them, then runs them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, EditMessageText
from aiogram.types import CallbackQuery, Chat, ChatMemberUpdated, InlineKeyboardMarkup, Message, ReplyParameters, User

from bot.adapters.telegram.inbound import PLATFORM, Event, display_name, to_incoming
from bot.adapters.telegram.outbound import Send
from bot.adapters.telegram.render import ChoiceData, length, marked, toast
from bot.core.i18n import N_, normalize_locale
from bot.core.incoming import Incoming, Origin
from bot.core.replies import Reply
from models import Account, ChatBinding, InboundStatus
from models.telegram import TelegramKeyboard

if TYPE_CHECKING:
    from bot.adapters.telegram.adapter import TelegramAdapter

log = logging.getLogger("relais.telegram")

PRESENT = ("creator", "administrator", "member")
EXPIRED = N_("This button no longer works; type the command instead.")


class Handler:
    """Runs one stored update: plan once (the core's work, kept with the event), then the calls not yet made."""

    def __init__(self, adapter: TelegramAdapter):
        self.adapter = adapter
        self.app = adapter.app

    async def __call__(self, event: Event) -> None:
        journal = self.adapter.inbox.journal
        state = event.state
        if "actions" not in state:
            async with self.adapter.inbox.slots:
                actions = await self.plan(event)
            event.attempts += 1
            state = event.state = {**state, "actions": actions, "next": 0}
            if not actions:
                await journal.write(event, InboundStatus.DONE)
                return
            # Stored before the first call: a restart sends what is left and never runs the command again.
            await journal.write(event, InboundStatus.PENDING, state)
        actions = state["actions"]
        for index in range(state["next"], len(actions)):
            await self.perform(actions[index])
            if index + 1 < len(actions):
                state["next"] = index + 1
                await journal.write(event, InboundStatus.PENDING, state)
        await journal.write(event, InboundStatus.DONE)

    async def plan(self, event: Event) -> list[dict]:
        update = event.update
        if update.message is not None:
            return await self._message(update.message)
        if update.callback_query is not None:
            return await self._press(update.callback_query)
        if update.my_chat_member is not None:
            await self._bot_status(update.my_chat_member)
        elif update.chat_member is not None:
            member = update.chat_member
            if member.new_chat_member.status in PRESENT and member.old_chat_member.status not in PRESENT:
                await self._joined(member.chat, [member.new_chat_member.user])
        return []

    async def _message(self, message: Message) -> list[dict]:
        if message.migrate_to_chat_id:  # a group became a supergroup: its binding follows the new id
            await ChatBinding.filter(platform=PLATFORM, chat_id=str(message.chat.id)).update(chat_id=str(message.migrate_to_chat_id))
            self.app.services.people.changed()
            return []
        if message.new_chat_members:
            await self._joined(message.chat, message.new_chat_members)
            return []
        incoming = to_incoming(message, self.adapter.me)
        if incoming is None:
            return []
        if incoming.direct and incoming.text.startswith("/start"):
            await _reachable(incoming.address, True)  # Start opens the private chat again
        reply = await self.app.dispatcher.handle(incoming)
        if reply is None:
            return []
        return await self._sends(message.chat.id, reply, not incoming.direct, message.message_id)

    async def _press(self, query: CallbackQuery) -> list[dict]:
        message = query.message if isinstance(query.message, Message) else None
        user = query.from_user
        try:
            data = ChoiceData.unpack(query.data or "")
        except (TypeError, ValueError):
            data = None
        row = await TelegramKeyboard.get_or_none(id=data.k) if data else None
        if row is None or not 0 <= data.i < len(row.choices):
            t = self.app.catalogs.get(user.language_code or self.app.settings.core.default_locale)
            return [{"op": "answer", "id": query.id, "text": t(EXPIRED)}]
        label, command = row.choices[data.i]
        chat = query.message.chat.id if query.message is not None else user.id
        group = query.message is not None and query.message.chat.type != "private"
        reply = await self.app.dispatcher.handle(Incoming(
            platform=PLATFORM, address=str(user.id), text="/" + command, display_name=display_name(user),
            chat=str(chat) if group else None, locale=user.language_code, origin=Origin.BUTTON))
        actions: list[dict] = []
        if message is not None and message.text:
            # The choice made is noted under the message; in a group the buttons stay for the others.
            html = marked(message.html_text, length(message.text), label, display_name(user) if group else None)
            markup = _dump(message.reply_markup) if group else None
            if html is not None or not group:
                actions.append({"op": "edit", "chat": chat, "message": message.message_id, "text": html, "markup": markup})
        actions.append({"op": "answer", "id": query.id, "text": toast(reply)})
        if reply is not None:
            actions += await self._sends(chat, reply, group, message.message_id if group and message else None)
        return actions

    async def _sends(self, chat: int, reply: Reply, group: bool, reply_to: int | None) -> list[dict]:
        parts = await self.adapter.render(reply, group=group)
        return [{"op": "send", "chat": chat, "text": part.html, "markup": _dump(part.markup),
                 "reply_to": reply_to if group and n == 0 else None} for n, part in enumerate(parts)]

    async def _bot_status(self, update: ChatMemberUpdated) -> None:
        status = update.new_chat_member.status
        if update.chat.type == "private":  # the person blocked the bot, or opened the chat again
            await _reachable(str(update.chat.id), status in PRESENT)
        log.info("telegram bot status", extra={"chat_id": update.chat.id, "status": status})

    async def _joined(self, chat: Chat, users: list[User]) -> None:
        """New members of a bound group become members of its community."""
        binding = await ChatBinding.get_or_none(platform=PLATFORM, chat_id=str(chat.id)).select_related("community")
        if binding is None:
            return
        people = self.app.services.people
        for user in users:
            if user.is_bot:
                continue
            account = await people.account(PLATFORM, str(user.id), display_name(user),
                                           normalize_locale(user.language_code, "") or None)
            await people.join(account.person, binding.community)
            log.info("telegram member joined", extra={"chat_id": chat.id, "community": binding.community.slug})

    async def perform(self, action: dict) -> None:
        """One planned call; refusals that retrying cannot fix are logged and skipped (the rest goes on)."""
        op, chat = action["op"], action.get("chat")
        markup = InlineKeyboardMarkup.model_validate(action["markup"]) if action.get("markup") else None
        if op == "send":
            reply_to = ReplyParameters(message_id=action["reply_to"], allow_sending_without_reply=True) if action.get("reply_to") else None
            method = Send(chat_id=chat, text=action["text"], parse_mode="HTML", reply_markup=markup,
                                 reply_parameters=reply_to, link_preview_options=self.adapter.no_preview)
        elif op == "edit" and action.get("text"):
            method = EditMessageText(chat_id=chat, message_id=action["message"], text=action["text"], parse_mode="HTML",
                                     reply_markup=markup, link_preview_options=self.adapter.no_preview)
        elif op == "edit":
            method = EditMessageReplyMarkup(chat_id=chat, message_id=action["message"], reply_markup=markup)
        else:
            method = AnswerCallbackQuery(callback_query_id=action["id"], text=action.get("text"))
        try:
            await self.adapter.sender.call(method, chat, kind="answer" if op == "answer" else op)
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            # Blocked meanwhile, kicked from the group, message gone, query too old: nothing to retry.
            log.warning("telegram call refused", extra={"op": op, "chat_id": chat, "error": exc.message[:200]})


async def _reachable(address: str, value: bool) -> None:
    await Account.filter(platform=PLATFORM, address=address, reachable=not value).update(reachable=value)


def _dump(markup: InlineKeyboardMarkup | None) -> dict | None:
    return markup.model_dump(mode="json", exclude_none=True) if markup else None
