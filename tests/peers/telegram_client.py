"""Async client for the Telegram emulator's ``/_emu`` control API, used to drive test scenarios."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import aiohttp

__all__ = ["EmulatorError", "TelegramEmulator"]

DEFAULT_TOKEN = "123:ABC"


class EmulatorError(RuntimeError):
    """The control API refused a request; ``status`` and ``error`` say why."""

    def __init__(self, status: int, error: str):
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error


def _id(user: int | dict[str, Any]) -> int:
    return int(user["id"]) if isinstance(user, dict) else int(user)


class TelegramEmulator:
    """Drives the emulator as users and Telegram would, and reads back what the bot did.

    ``base_url`` is the emulator root (``http://127.0.0.1:PORT``); every call acts on the bot
    with ``token``. Users and groups are shared by all tokens, everything else is per bot.
    """

    def __init__(self, base_url: str, token: str = DEFAULT_TOKEN, session: aiohttp.ClientSession | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> TelegramEmulator:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session

    async def _request(self, verb: str, path: str, body: dict[str, Any] | None = None, **query: Any) -> Any:
        url = f"{self.base_url}/_emu/{path}"
        params = {"token": self.token, **{k: str(v) for k, v in query.items() if v is not None}}
        payload = None if body is None else {k: v for k, v in body.items() if v is not None}
        async with self._http().request(verb, url, params=params, json=payload) as response:
            data = await response.json(content_type=None)
            if response.status != 200:
                raise EmulatorError(
                    response.status, data.get("error", str(data)) if isinstance(data, dict) else str(data)
                )
            return data

    async def _post(self, path: str, **body: Any) -> Any:
        return await self._request("POST", path, body)

    async def _get(self, path: str, **query: Any) -> Any:
        return await self._request("GET", path, None, **query)

    # world

    async def create_user(
        self,
        id: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Create (or overwrite) a Telegram user; returns the User object bots will see."""
        return await self._post(
            "users", id=id, first_name=first_name, username=username, language_code=language_code, **extra
        )

    async def create_group(
        self,
        title: str,
        id: int | None = None,
        type: str = "supergroup",
        members: list[int | dict[str, Any]] | None = None,
        bot_status: str = "member",
        added_by: int | dict[str, Any] | None = None,
        is_forum: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """Create a group the bot is in (``bot_status``); ``added_by`` also queues the my_chat_member update.

        ``is_forum`` makes a supergroup with topics (see ``create_topic``).
        """
        member_list = [m if isinstance(m, dict) and "status" in m else _id(m) for m in members or []]
        return await self._post(
            "groups",
            id=id,
            title=title,
            type=type,
            members=member_list,
            bot_status=bot_status,
            added_by=None if added_by is None else _id(added_by),
            is_forum=is_forum or None,
            **extra,
        )

    async def create_topic(
        self,
        chat_id: int,
        name: str,
        user: int | dict[str, Any] | None = None,
        icon_color: int | None = None,
        icon_custom_emoji_id: str | None = None,
    ) -> dict[str, Any]:
        """``user`` (or an anonymous admin) opens a topic in a forum; the bot gets its forum_topic_created message.

        Returns the ForumTopic fields (``message_thread_id``...) plus ``update_id`` and the service ``message``.
        """
        return await self._post(
            "topics",
            chat_id=chat_id,
            name=name,
            icon_color=icon_color,
            icon_custom_emoji_id=icon_custom_emoji_id,
            **{"from": None if user is None else _id(user)},
        )

    async def topics(self, chat_id: int) -> list[dict[str, Any]]:
        """The forum's topics, with ``is_closed``."""
        return await self._get("topics", chat_id=chat_id)

    async def add_member(self, chat_id: int, user: int | dict[str, Any], status: str = "member") -> dict[str, Any]:
        """Put a user into a group silently (no update); use ``join`` for the real thing."""
        return await self._post("members", chat_id=chat_id, user_id=_id(user), status=status)

    async def set_bot_status(self, chat_id: int, status: str) -> dict[str, Any]:
        """Change the bot's own status in a group silently, e.g. to ``administrator`` or ``kicked``."""
        return await self._post("members", chat_id=chat_id, bot=True, status=status)

    async def configure_bot(self, **settings: Any) -> dict[str, Any]:
        """Set ``username``, ``first_name``, ``can_read_all_group_messages`` or ``revoked`` for this token."""
        return await self._post("bot", **settings)

    # what users do

    async def send(
        self,
        user: int | dict[str, Any],
        text: str,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A user writes ``text`` in their private chat with the bot, or in group ``chat_id``.

        ``thread_id`` picks a forum topic; without it a forum message goes to the General topic.
        """
        return await self._post(
            "send",
            **{"from": _id(user)},
            text=text,
            chat_id=chat_id,
            reply_to_message_id=reply_to_message_id,
            entities=entities,
            message_thread_id=thread_id,
        )

    async def send_files(
        self,
        user: int | dict[str, Any],
        files: list[tuple[str, bytes]],
        caption: str | None = None,
        chat_id: int | None = None,
        kind: str = "photo",
        mime_type: str | None = None,
    ) -> dict[str, Any]:
        """A user sends photos (``kind="document"``: files) named ``(file_name, content)`` with a caption; several make
        an album (one ``media_group_id``, the caption on the first). Returns ``messages`` and ``media_group_id``."""
        items = [
            {"kind": kind, "file_name": name, "mime_type": mime_type, "data": base64.b64encode(data).decode()}
            for name, data in files
        ]
        return await self._post("send_files", **{"from": _id(user)}, files=items, caption=caption, chat_id=chat_id)

    async def press(
        self,
        user: int | dict[str, Any],
        message_id: int,
        data: str | None = None,
        chat_id: int | None = None,
        text: str | None = None,
        force: bool = False,
    ) -> dict[str, Any]:
        """A user presses the inline button with callback ``data`` (or label ``text``) under a bot message."""
        return await self._post(
            "press",
            **{"from": _id(user)},
            message_id=message_id,
            data=data,
            chat_id=chat_id,
            text=text,
            force=force or None,
        )

    async def answer_poll(self, user: int | dict[str, Any], poll_id: str, option_ids: list[int]) -> dict[str, Any]:
        """A user votes in a poll the bot sent (option indexes; ``[]`` takes the vote back).

        Queues a ``poll_answer`` update for a non-anonymous poll and a ``poll`` update in any case;
        returns ``poll_answer_update_id``, ``poll_update_id`` and the new ``poll``.
        """
        return await self._post("poll_answer", **{"from": _id(user)}, poll_id=poll_id, option_ids=option_ids)

    async def start(self, user: int | dict[str, Any], payload: str | None = None) -> dict[str, Any]:
        """A user presses Start (``/start payload``); this also unblocks a bot the user had blocked."""
        return await self._post("start", **{"from": _id(user)}, payload=payload)

    async def block(self, user: int | dict[str, Any]) -> dict[str, Any]:
        return await self._post("block", **{"from": _id(user)})

    async def join(self, user: int | dict[str, Any], chat_id: int) -> dict[str, Any]:
        return await self._post("join", **{"from": _id(user)}, chat_id=chat_id)

    async def leave(self, user: int | dict[str, Any], chat_id: int) -> dict[str, Any]:
        return await self._post("leave", **{"from": _id(user)}, chat_id=chat_id)

    # what the bot did

    async def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Every message the bot sent (with its edits and deletion), oldest first."""
        return await self._get("sent", chat_id=chat_id)

    async def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat's current messages from everyone, as Message objects."""
        return await self._get("messages", chat_id=chat_id)

    async def document(self, file_id: str) -> tuple[str, str, bytes]:
        """A file the bot uploaded, as ``(file_name, mime_type, content)``."""
        found = await self._get("document", file_id=file_id)
        return found["file_name"], found["mime_type"], base64.b64decode(found["data"])

    async def polls(self) -> list[dict[str, Any]]:
        """The bot's polls: ``poll`` (current state), ``chat_id``, ``message_id`` and ``votes`` by user id."""
        return await self._get("polls")

    async def commands(self) -> list[dict[str, Any]]:
        return await self._get("commands")

    async def callback_answers(self) -> list[dict[str, Any]]:
        return await self._get("callback_answers")

    async def actions(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return await self._get("actions", chat_id=chat_id)

    async def pending(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        return await self._get("pending")

    async def stats(self) -> dict[str, Any]:
        return await self._get("stats")

    async def calls(self) -> list[dict[str, Any]]:
        """The last Bot API calls with their HTTP status, for debugging a test."""
        return await self._get("calls")

    # control

    async def reset(self) -> None:
        """Forget every user, group, message and bot setting; limits go back to the command-line ones."""
        await self._post("reset")

    async def set_limits(
        self,
        enabled: bool | None = None,
        global_rate: int | None = None,
        chat_rate: float | None = None,
        chat_burst: int | None = None,
        group_per_minute: int | None = None,
    ) -> dict[str, Any]:
        return await self._post(
            "limits",
            enabled=enabled,
            global_rate=global_rate,
            chat_rate=chat_rate,
            chat_burst=chat_burst,
            group_per_minute=group_per_minute,
        )

    async def inject_429(self, method: str = "*", count: int = 1, retry_after: int = 1) -> list[dict[str, Any]]:
        """Answer the next ``count`` calls of ``method`` (``*``: any message-producing method) with 429."""
        return (await self._post("fail", method=method, count=count, retry_after=retry_after))["faults"]

    async def inject_error(
        self, method: str, error_code: int, description: str | None = None, count: int = 1
    ) -> list[dict[str, Any]]:
        return (await self._post("fail", method=method, count=count, error_code=error_code, description=description))[
            "faults"
        ]

    # waiting

    async def wait_for_sent(self, chat_id: int, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait until the bot has sent at least ``count`` messages to ``chat_id``; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            records = await self.sent(chat_id)
            if len(records) >= count:
                return records
            if time.monotonic() >= deadline:
                texts = [r.get("text") for r in records]
                raise TimeoutError(
                    f"bot sent {len(records)} of {count} messages to {chat_id} within {timeout}s: {texts}"
                )
            await asyncio.sleep(0.02)

    async def wait_until_consumed(self, timeout: float = 30.0) -> None:
        """Wait until the bot confirmed every queued update (i.e. polled past them)."""
        deadline = time.monotonic() + timeout
        while await self.pending():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"updates still pending after {timeout}s: {await self.pending()}")
            await asyncio.sleep(0.02)
