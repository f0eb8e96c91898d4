"""Telegram Bot API emulator: an aiohttp server that aiogram 3 bots talk to in tests and benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import dataclasses
import itertools
import json
import logging
import math
import mimetypes
import re
import signal
import sys
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

__all__ = ["ApiError", "Emulator", "Limits", "start_server", "main"]

log = logging.getLogger("telegram_emulator")

DEFAULT_TOKEN = "123:ABC"
DEFAULT_BOT_USERNAME = "relais_bot"
DEFAULT_BOT_FIRST_NAME = "Relais"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_MEDIA_GROUP = 10  # items of an album
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile serves bots files up to 20 MB
MAX_CALLBACK_DATA_BYTES = 64
MAX_COMMANDS = 100
TOKEN_RE = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{1,100}$")
CALLBACK_ID_BASE = 4_382_000_000_000_000_000
POLL_ID_BASE = 5_000_000_000_000_000_000
DEFAULT_TOPIC_COLOR = 7322096  # the first of the six colours Telegram offers for topic icons
# The sender Telegram shows for an anonymous group administrator.
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
WEBHOOK_RETRY_MIN = 0.2
WEBHOOK_RETRY_MAX = 2.0
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
POLL_TERMINATED = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
FAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    403: "Forbidden: injected failure",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same"
    " as a current content and reply markup of the message"
)

ALL_UPDATE_TYPES = tuple(
    """message edited_message channel_post edited_channel_post business_connection business_message
    edited_business_message deleted_business_messages message_reaction message_reaction_count inline_query
    chosen_inline_result callback_query shipping_query pre_checkout_query purchased_paid_media poll poll_answer
    my_chat_member chat_member chat_join_request chat_boost removed_chat_boost""".split()
)
# Telegram leaves these out unless a bot names them in allowed_updates.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset(
    """typing upload_photo record_video upload_video record_voice upload_voice upload_document choose_sticker
    find_location record_video_note upload_video_note""".split()
)
COMMAND_SCOPES = frozenset(
    "default all_private_chats all_group_chats all_chat_administrators chat chat_administrators chat_member".split()
)
PRESENT_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})
MEMBER_STATUSES = PRESENT_STATUSES | {"left", "kicked"}
INLINE_BUTTON_ACTIONS = tuple(
    """url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat
    switch_inline_query_chosen_chat copy_text callback_game pay""".split()
)
FORMATTING_ENTITIES = frozenset("bold italic underline strikethrough spoiler blockquote expandable_blockquote".split())
ENTITY_TYPES = FORMATTING_ENTITIES | frozenset(
    """mention hashtag cashtag bot_command url email phone_number code pre text_link text_mention
    custom_emoji""".split()
)
# Detected entities never overlap these; bold and friends may wrap a detected URL.
CONTINUOUS_ENTITIES = ENTITY_TYPES - FORMATTING_ENTITIES
TLDS = (
    "com|org|net|edu|gov|io|dev|app|info|biz|me|tv|co|ru|de|fr|uk|it|es|nl|be|ch|at|pl|se|no|fi|dk|"
    "eu|us|ca|au|jp|cn|in|br|ua|by|kz|pt|cz|sk|hu|ro|gr|tr|il|ir|xyz|site|online|club|org\\.uk|co\\.uk"
)


# --------------------------------------------------------------------------------------------- errors


class ApiError(Exception):
    """A Bot API error answered as ``{"ok": false, ...}`` with the same HTTP status Telegram uses."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class ControlError(Exception):
    """An error of the ``/_emu`` control API (a mistake in the test, not a Bot API answer)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def entity_error(message: str) -> ApiError:
    return bad_request(f"can't parse entities: {message}")


# ----------------------------------------------------------------------------------------- text utils


def u16len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Bot API entity offset."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _sorted_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


_SPACES = " \t\r\n\v\f"
_URL_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_BARE_DOMAIN_RE = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}(?::\d{1,5})?(?:[/?#].*)?$")
_USER_LINK_RE = re.compile(r"^tg://user\?id=(\d+)$", re.IGNORECASE)
_EMOJI_LINK_RE = re.compile(r"^tg://emoji\?id=(\d+)$", re.IGNORECASE)


def checked_link(url: str) -> str | None:
    """Telegram's link check: http(s) with a host, tg: and ton: links, or a bare domain (gets http://)."""
    url = url.strip()
    if not url:
        return None
    scheme = _URL_SCHEME_RE.match(url)
    if scheme is None or scheme.group(1).lower() == "localhost" or url[scheme.end() :].isdigit():
        return "http://" + url if _BARE_DOMAIN_RE.match(url) else None
    name = scheme.group(1).lower()
    if name in ("http", "https"):
        rest = url[scheme.end() :]
        host = rest[2:].split("/", 1)[0] if rest.startswith("//") else ""
        return url if host else None
    if name in ("tg", "ton"):
        return url
    return None


UserLookup = Callable[[int], "dict[str, Any] | None"]


def _link_entity(url: str, offset: int, length: int, users: UserLookup) -> dict[str, Any] | None:
    mention = _USER_LINK_RE.match(url.strip())
    if mention:
        user = users(int(mention.group(1)))
        # Telegram drops a mention of a user the bot cannot see instead of failing.
        return {"type": "text_mention", "offset": offset, "length": length, "user": user} if user else None
    link = checked_link(url)
    return {"type": "text_link", "offset": offset, "length": length, "url": link} if link else None


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&lt;``-style and numeric references at ``pos`` like tdlib: the ``;`` is optional."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        digits_start = end
        if end < n and text[end] == "x":
            end += 1
            digits_start = end
            while end < n and text[end] in "0123456789abcdefABCDEF":
                end += 1
            digits = text[digits_start:end]
            code = int(digits, 16) if digits else 0
        else:
            while end < n and text[end].isascii() and text[end].isdigit():
                end += 1
            digits = text[digits_start:end]
            code = int(digits) if digits else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10 or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        char = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(text[pos + 1 : end], "")
        if not char:
            return None
    if end < n and text[end] == ";":
        end += 1
    return char, end


_HTML_TAGS = frozenset("a b strong i em s strike del u ins tg-spoiler tg-emoji span pre code blockquote".split())
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


def parse_html(src: str, users: UserLookup) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram's HTML dialect with tdlib's rules and error messages.

    One deliberate difference: a bare ``&`` that starts no known reference is an error here,
    while tdlib keeps it literally. The Bot API documents that ``&`` must be escaped, and a bot
    that forgets it would mangle user text such as ``&lt`` on the real server.
    """
    n = len(src)
    out: list[str] = []
    u16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, str, int, int, bool]] = []  # tag, argument, utf16 start, out start, expandable

    def at(k: int) -> str:
        return src[k] if k < n else "\0"

    def spaceish(ch: str) -> bool:
        return ch == "\0" or ch in _SPACES

    i = 0
    while i < n:
        c = src[i]
        if c == "&":
            decoded = _decode_html_entity(src, i)
            if decoded is None:
                raise entity_error(f'Unescaped "&" at byte offset {_byte_offset(src, i)}; escape it as &amp;')
            out.append(decoded[0])
            u16 += u16len(decoded[0])
            i = decoded[1]
            continue
        if c != "<":
            out.append(c)
            u16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != "/":
            while not spaceish(at(i)) and at(i) != ">":
                i += 1
            if i >= n:
                raise entity_error(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            tag = src[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise entity_error(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
            argument = ""
            expandable = False
            while at(i) != ">":
                while i < n and at(i) in _SPACES:
                    i += 1
                if at(i) == ">":
                    break
                attribute_begin = i
                while not spaceish(at(i)) and at(i) not in "=>":
                    i += 1
                attribute = src[attribute_begin:i]
                if not attribute:
                    raise entity_error(
                        f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                    )
                while i < n and at(i) in _SPACES:
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and attribute.lower() == "expandable":
                        expandable = True
                        continue
                    raise entity_error(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                        f"at byte offset {_byte_offset(src, begin)}"
                    )
                i += 1
                while i < n and at(i) in _SPACES:
                    i += 1
                if i >= n:
                    raise entity_error(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
                if at(i) not in "'\"":
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = src[token_begin:i].lower()
                    if not spaceish(at(i)) and at(i) != ">":
                        raise entity_error(
                            f"Unexpected end of name token at byte offset {_byte_offset(src, token_begin)}"
                        )
                else:
                    quote = src[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and src[i] != quote:
                        if src[i] == "&":
                            decoded = _decode_html_entity(src, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        chars.append(src[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise entity_error(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
                if tag == "a" and attribute == "href":
                    argument = value
                elif tag == "code" and attribute == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attribute == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise entity_error(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(src, begin)}')
            i += 1
            stack.append((tag, argument, u16, len(out), expandable))
            continue
        if not stack:
            raise entity_error(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
        i += 1
        name_begin = i
        while not spaceish(at(i)) and at(i) != ">":
            i += 1
        end_tag = src[name_begin:i].lower()
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) != ">":
            raise entity_error(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
        i += 1
        tag, argument, start, out_start, expandable = stack[-1]
        if end_tag and end_tag != tag:
            raise entity_error(
                f'Unmatched end tag at byte offset {_byte_offset(src, begin)}, expected "</{tag}>", '
                f'found "</{end_tag}>"'
            )
        stack.pop()
        length = u16 - start
        if length <= 0:
            continue
        if tag in _HTML_SIMPLE:
            entities.append({"type": _HTML_SIMPLE[tag], "offset": start, "length": length})
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise entity_error("Invalid custom emoji identifier specified")
            entities.append({"type": "custom_emoji", "offset": start, "length": length, "custom_emoji_id": argument})
        elif tag == "a":
            entity = _link_entity(argument or "".join(out[out_start:]), start, length, users)
            if entity:
                entities.append(entity)
        elif tag == "pre":
            last = entities[-1] if entities else None
            if (
                last
                and last["type"] == "code"
                and (last["offset"], last["length"]) == (start, length)
                and last.get("language")
            ):
                last["type"] = "pre"
            else:
                entities.append({"type": "pre", "offset": start, "length": length})
        elif tag == "code":
            last = entities[-1] if entities else None
            if last and last["type"] == "pre" and (last["offset"], last["length"]) == (start, length) and argument:
                last["language"] = argument
            else:
                entities.append({"type": "code", "offset": start, "length": length, "language": argument})
        elif tag == "blockquote":
            kind = "expandable_blockquote" if expandable else "blockquote"
            entities.append({"type": kind, "offset": start, "length": length})
    if stack:
        raise entity_error(f"Can't find end tag corresponding to start tag {stack[-1][0]}")
    for entity in entities:
        # A language only survives on pre; tdlib clears it on inline code.
        if entity["type"] == "code" or not entity.get("language"):
            entity.pop("language", None)
    return "".join(out), _sorted_entities(entities)


_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}


@dataclass
class _Open:
    type: str
    argument: str
    offset: int
    byte_offset: int
    out_start: int

    @property
    def name(self) -> str:
        return "PreCode" if self.type == "pre" and self.argument else _MDV2_NAMES[self.type]


def _read_link_target(src: str, i: int) -> tuple[str, int, bool]:
    """Read ``(url)`` starting at the ``(``; returns url, index of ``)``, and whether it was closed."""
    n = len(src)
    chars: list[str] = []
    while i < n and src[i] != ")":
        if src[i] == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
            chars.append(src[i + 1])
            i += 2
            continue
        chars.append(src[i])
        i += 1
    return "".join(chars), i, i < n


def parse_markdown_v2(src: str, users: UserLookup) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 with tdlib's rules: every reserved character outside an entity must be escaped."""
    n = len(src)
    out: list[str] = []
    u16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    have_quote = False

    def at(k: int) -> str:
        return src[k] if k < n else "\0"

    def reserved_error(ch: str) -> ApiError:
        return entity_error(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")

    i = 0
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
            out.append(src[i + 1])
            u16 += 1
            i += 2
            continue
        reserved = "`" if stack and stack[-1].type in ("code", "pre") else "_*[]()~`>#+-=|{}.!\n"
        if c not in reserved:
            out.append(c)
            u16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue
        is_end = False
        if stack:
            top = stack[-1].type
            if have_quote and c == "\n" and (i + 1 == n or src[i + 1] != ">"):
                is_end = True
            elif top == "bold":
                is_end = c == "*"
            elif top == "italic":
                is_end = c == "_" and at(i + 1) != "_"
            elif top == "code":
                is_end = c == "`"
            elif top == "pre":
                is_end = c == "`" and at(i + 1) == "`" and at(i + 2) == "`"
            elif top in ("text_link", "custom_emoji"):
                is_end = c == "]"
            elif top == "underline":
                is_end = c == "_" and at(i + 1) == "_"
            elif top == "strikethrough":
                is_end = c == "~"
            elif top == "spoiler":
                is_end = c == "|" and at(i + 1) == "|"
        if not is_end:
            byte_offset = _byte_offset(src, i)
            argument = ""
            kind: str | None
            if c == "_":
                kind = "underline" if at(i + 1) == "_" else "italic"
                i += 1 if kind == "underline" else 0
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|":
                if at(i + 1) != "|":
                    raise reserved_error(c)
                i += 1
                kind = "spoiler"
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if at(i + 1) == "`" and at(i + 2) == "`":
                    i += 3
                    kind = "pre"
                    language_end = i
                    while at(language_end) not in _SPACES + "\0`":
                        language_end += 1
                    if i != language_end and language_end < n and src[language_end] != "`":
                        argument = src[i:language_end]
                        i = language_end
                    if at(i) in "\r\n":
                        i += 2 if at(i + 1) in "\r\n" and at(i) != at(i + 1) else 1
                    i -= 1
                else:
                    kind = "code"
            elif c == "!":
                if at(i + 1) != "[":
                    raise reserved_error(c)
                i += 1
                kind = "custom_emoji"
            elif c == "\n":
                out.append("\n")
                u16 += 1
                kind = None
                if i + 1 < n and src[i + 1] == ">":
                    i += 1
                    if not have_quote:
                        kind = "blockquote"
                        have_quote = True
            elif c == ">" and i == 0:
                kind = "blockquote"
                have_quote = True
            else:
                raise reserved_error(c)
            i += 1
            if kind is not None:
                stack.append(_Open(kind, argument, u16, byte_offset, len(out)))
            continue
        top_open = stack[-1]
        if c == "\n" and top_open.type != "blockquote":
            raise entity_error(f"Can't find end of {top_open.name} entity at byte offset {top_open.byte_offset}")
        entity: dict[str, Any] | None = {
            "type": top_open.type,
            "offset": top_open.offset,
            "length": u16 - top_open.offset,
        }
        if top_open.type in ("underline", "spoiler"):
            i += 1
        elif top_open.type == "pre":
            i += 2
            if top_open.argument:
                entity["language"] = top_open.argument
        elif top_open.type == "text_link":
            if at(i + 1) != "(":
                url = "".join(out[top_open.out_start :])
            else:
                url, i, closed = _read_link_target(src, i + 2)
                if not closed:
                    raise entity_error(f"Can't find end of a URL at byte offset {_byte_offset(src, i)}")
            entity = _link_entity(url, top_open.offset, u16 - top_open.offset, users)
        elif top_open.type == "custom_emoji":
            if at(i + 1) != "(":
                raise entity_error("Custom emoji entity must contain a tg://emoji URL")
            url, i, closed = _read_link_target(src, i + 2)
            if not closed:
                raise entity_error(f"Can't find end of a custom emoji URL at byte offset {_byte_offset(src, i)}")
            emoji = _EMOJI_LINK_RE.match(url)
            if not emoji:
                raise entity_error("Invalid custom emoji URL specified")
            entity["custom_emoji_id"] = emoji.group(1)
        elif top_open.type == "blockquote":
            have_quote = False
            out.append(c)
            u16 += 1
            entity["length"] += 1  # tdlib counts the closing line break into the quote
        i += 1
        if entity is not None and entity["length"] > 0:
            entities.append(entity)
        stack.pop()
    if have_quote and stack and stack[-1].type == "blockquote":
        quote = stack.pop()
        if u16 > quote.offset:
            entities.append({"type": "blockquote", "offset": quote.offset, "length": u16 - quote.offset})
    if stack:
        raise entity_error(f"Can't find end of {stack[-1].name} entity at byte offset {stack[-1].byte_offset}")
    return "".join(out), _sorted_entities(entities)


def parse_markdown(src: str, users: UserLookup) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, ``[text](url)``, code) with tdlib's rules."""
    n = len(src)
    out: list[str] = []
    u16 = 0
    entities: list[dict[str, Any]] = []
    i = 0
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.append(src[i + 1])
            u16 += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            u16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        i += 1
        language = ""
        is_pre = False
        if c == "`" and src[i : i + 2] == "``":
            i += 2
            is_pre = True
            language_end = i
            while language_end < n and src[language_end] not in _SPACES + "`":
                language_end += 1
            if i != language_end and language_end < n and src[language_end] != "`":
                language = src[i:language_end]
                i = language_end
            if i < n and src[i] in "\r\n":
                i += 2 if i + 1 < n and src[i + 1] in "\r\n" and src[i] != src[i + 1] else 1
        start = u16
        out_start = len(out)
        while i < n and (src[i] != end_char or (is_pre and src[i + 1 : i + 3] != "``")):
            out.append(src[i])
            u16 += 2 if ord(src[i]) > 0xFFFF else 1
            i += 1
        if i == n:
            raise entity_error(f"Can't find end of the entity starting at byte offset {_byte_offset(src, begin)}")
        length = u16 - start
        if length > 0:
            if c == "_":
                entities.append({"type": "italic", "offset": start, "length": length})
            elif c == "*":
                entities.append({"type": "bold", "offset": start, "length": length})
            elif c == "[":
                url = "".join(out[out_start:])
                if i + 1 < n and src[i + 1] == "(":
                    close = src.find(")", i + 2)
                    close = n if close < 0 else close
                    url = src[i + 2 : close]
                    i = close
                entity = _link_entity(url, start, length, users)
                if entity:
                    entities.append(entity)
            elif is_pre:
                pre: dict[str, Any] = {"type": "pre", "offset": start, "length": length}
                if language:
                    pre["language"] = language
                entities.append(pre)
            else:
                entities.append({"type": "code", "offset": start, "length": length})
        i += 3 if is_pre else 1
    return "".join(out), _sorted_entities(entities)


_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_MENTION_RE = re.compile(r"(?<!\w)@[A-Za-z0-9_]{4,32}(?!\w)")
_HASHTAG_RE = re.compile(r"(?<![\w#])#\w{1,256}(?!\w*#)")
_EMAIL_RE = re.compile(rf"(?<![\w.+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+(?:{TLDS})(?![\w.-])", re.IGNORECASE)
_URL_RE = re.compile(
    rf"(?<![\w@/.-])(?:(?:https?|tg|ton)://[^\s<>\"]+"
    rf"|(?:[A-Za-z0-9-]+\.)+(?:{TLDS})(?::\d{{1,5}})?(?:/[^\s<>\"]*)?)(?![\w])",
    re.IGNORECASE,
)


def find_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram detects by itself: bot commands, mentions, hashtags, e-mails and URLs."""
    spans: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or e <= start for s, e, _ in spans)

    for match in _COMMAND_RE.finditer(text):
        spans.append((match.start(), match.end(), "bot_command"))
    for match in _EMAIL_RE.finditer(text):
        if free(match.start(), match.end()):
            spans.append((match.start(), match.end(), "email"))
    for match in _URL_RE.finditer(text):
        start, end = match.start(), match.end()
        while end > start and text[end - 1] in ".,;:!?'\")":
            end -= 1
        if end > start and free(start, end):
            spans.append((start, end, "url"))
    for match in _MENTION_RE.finditer(text):
        if free(match.start(), match.end()):
            spans.append((match.start(), match.end(), "mention"))
    for match in _HASHTAG_RE.finditer(text):
        if any(ch.isalpha() for ch in match.group()[1:]) and free(match.start(), match.end()):
            spans.append((match.start(), match.end(), "hashtag"))
    entities = [
        {"type": kind, "offset": u16len(text[:start]), "length": u16len(text[start:end])} for start, end, kind in spans
    ]
    return _sorted_entities(entities)


def _clean_entities(text: str, raw: Any, users: UserLookup) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse entities JSON object") from None
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    total = u16len(text)
    entities: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict) or item.get("type") not in ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: unsupported entity type")
        try:
            offset, length = int(item["offset"]), int(item["length"])
        except (KeyError, TypeError, ValueError):
            raise bad_request("can't parse MessageEntity: offset and length must be integers") from None
        end = min(offset + length, total)
        if offset < 0 or end <= offset:
            continue
        entity = dict(item, offset=offset, length=end - offset)
        if entity["type"] == "text_link":
            link = checked_link(str(entity.get("url") or ""))
            if link is None:
                raise bad_request("entity URL is invalid")
            entity["url"] = link
        if entity["type"] == "text_mention":
            user = entity.get("user") or {}
            known = users(int(user.get("id", 0))) if isinstance(user, dict) else None
            if known is None:
                continue
            entity["user"] = known
        entities.append(entity)
    return _sorted_entities(entities)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram strips leading and trailing white space and moves the entities along."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    if not stripped:
        return "", []
    left = u16len(text[: len(text) - len(text.lstrip())])
    total = u16len(stripped)
    trimmed = []
    for entity in entities:
        start = max(entity["offset"] - left, 0)
        end = min(entity["offset"] + entity["length"] - left, total)
        if end > start:
            trimmed.append(dict(entity, offset=start, length=end - start))
    return stripped, trimmed


def _with_detected(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    taken = [(e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] in CONTINUOUS_ENTITIES]
    merged = list(entities)
    for found in find_entities(text):
        start, end = found["offset"], found["offset"] + found["length"]
        if all(end <= s or e <= start for s, e in taken):
            merged.append(found)
    return _sorted_entities(merged)


def format_text(
    text: str | None, parse_mode: str | None, raw_entities: Any, users: UserLookup
) -> tuple[str, list[dict[str, Any]]]:
    """Turn the text parameters of a sending method into the final text and its entities."""
    text = text or ""
    if raw_entities is not None:
        entities = _clean_entities(text, raw_entities, users)
    elif parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            text, entities = parse_html(text, users)
        elif mode == "markdownv2":
            text, entities = parse_markdown_v2(text, users)
        elif mode == "markdown":
            text, entities = parse_markdown(text, users)
        else:
            raise bad_request("unsupported parse_mode")
    else:
        entities = []
    text, entities = _trim(text, entities)
    return text, _with_detected(text, entities)


# ------------------------------------------------------------------------------------------ parameters


class Params:
    """Request parameters from the query string, a form, a multipart body or JSON, read like the Bot API does."""

    def __init__(self, values: dict[str, Any]):
        self.values = values

    def raw(self, name: str) -> Any:
        value = self.values.get(name)
        return None if value is None or value == "" else value

    def has(self, name: str) -> bool:
        return self.raw(name) is not None

    def text(self, name: str) -> str | None:
        value = self.raw(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, Upload):
            return None
        return json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)

    def integer(self, name: str, empty_message: str | None = None) -> int | None:
        value = self.raw(name)
        if value is None:
            if empty_message:
                raise bad_request(empty_message)
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            try:
                number = float(str(value).strip())
            except ValueError:
                raise bad_request(f"invalid {name} specified") from None
            if not number.is_integer():
                raise bad_request(f"invalid {name} specified") from None
            return int(number)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return bool(value)

    def json(self, name: str, error: str) -> Any:
        value = self.raw(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error) from None
        return value

    def file(self, name: str) -> Upload | str | None:
        """A file parameter: an uploaded part, ``attach://<part>`` naming one, or a file_id string."""
        value = self.raw(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.raw(value[len("attach://") :])
            return value if isinstance(value, Upload) else None
        return value if isinstance(value, (Upload, str)) else None


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str | None
    data: bytes


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON encoded request") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON encoded request")
            values.update(body)
        elif request.content_type == "multipart/form-data":
            values.update(await _read_multipart(request))
        elif request.content_type == "application/x-www-form-urlencoded":
            values.update((await request.post()).items())
    return Params(values)


async def _read_multipart(request: web.Request) -> dict[str, Any]:
    """Fields as text and file parts (those with a filename) as ``Upload``, kept in memory for the tests."""
    values: dict[str, Any] = {}
    try:
        async for part in await request.multipart():
            if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
                continue
            if part.filename is not None:
                data = bytes(await part.read(decode=True))
                values[part.name] = Upload(part.filename, part.headers.get(aiohttp.hdrs.CONTENT_TYPE), data)
            else:
                values[part.name] = await part.text()
    except (ValueError, UnicodeDecodeError, aiohttp.ClientError):
        raise bad_request("can't parse multipart/form-data request") from None
    return values


# ------------------------------------------------------------------------------------------ reply markup


def _parse_inline_keyboard(rows: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays')
    keyboard = []
    for row in rows:
        buttons = []
        for button in row:
            if not isinstance(button, dict):
                raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
            if not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
            button = {key: value for key, value in button.items() if value is not None}
            if not any(action in button for action in INLINE_BUTTON_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                button["callback_data"] = data = data if isinstance(data, str) else json.dumps(data)
                if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and checked_link(str(button["url"])) is None:
                raise bad_request(f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL")
            buttons.append(button)
        if buttons:
            keyboard.append(buttons)
    return keyboard


def parse_reply_markup(raw: Any, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate ``reply_markup`` like Telegram; an empty inline keyboard means no keyboard."""
    if raw is None or raw == "":
        return None
    what = "inline keyboard" if inline_only else "reply keyboard"
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise bad_request(f"can't parse {what} markup JSON object") from None
    if not isinstance(raw, dict):
        raise bad_request(f"can't parse {what} markup JSON object")
    if "inline_keyboard" in raw:
        keyboard = _parse_inline_keyboard(raw["inline_keyboard"])
        return {"inline_keyboard": keyboard} if keyboard else None
    if inline_only:
        raise bad_request("can't parse inline keyboard markup JSON object")
    if "keyboard" in raw:
        rows = raw["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays')
        for row in rows:
            for button in row:
                if not isinstance(button, str) and not (
                    isinstance(button, dict) and isinstance(button.get("text"), str)
                ):
                    raise bad_request("can't parse keyboard button: KeyboardButton must be a String or an Object")
        return raw
    if "remove_keyboard" in raw or "force_reply" in raw:
        return raw
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    # Only inline keyboards belong to the message; reply keyboards live on the client.
    return markup if markup and "inline_keyboard" in markup else None


# ------------------------------------------------------------------------------------------ world model


@dataclass
class Limits:
    """Flood limits; Telegram's documented defaults, with a small burst for private chats."""

    enabled: bool = True
    global_rate: int = 30  # messages per any 1-second window, all chats together
    chat_rate: float = 1.0  # messages per second refilled into a private chat's bucket
    chat_burst: int = 3  # bucket size: the real server tolerates a few quick messages to one user
    group_per_minute: int = 20  # messages per any 60-second window in one group

    def update(self, data: dict[str, Any]) -> None:
        for name, kind in (
            ("enabled", bool),
            ("global_rate", int),
            ("chat_rate", float),
            ("chat_burst", int),
            ("group_per_minute", int),
        ):
            if name not in data:
                continue
            value = data[name]
            if kind is bool:
                if not isinstance(value, bool):
                    raise ControlError(400, f"{name} must be a boolean")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ControlError(400, f"{name} must be a positive number")
            setattr(self, name, kind(value))


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    is_premium: bool | None = None

    def api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for name in ("last_name", "username", "language_code", "is_premium"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data


@dataclass
class Group:
    id: int
    title: str
    type: str = "supergroup"
    username: str | None = None
    description: str | None = None
    is_forum: bool = False
    members: dict[int, str] = field(default_factory=dict)  # user or bot id -> chat member status
    topics: dict[int, Topic] = field(default_factory=dict)  # message_thread_id -> forum topic

    def api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data

    @property
    def kind(self) -> str:
        return "supergroup" if self.type == "supergroup" else "group"


@dataclass
class Topic:
    """A forum topic; its id is the id of the service message that created it, as on Telegram."""

    message_thread_id: int
    name: str
    icon_color: int
    creator: int
    icon_custom_emoji_id: str | None = None
    is_closed: bool = False

    def api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            data["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return data


def _b64(text: str) -> str:
    """Unpadded URL-safe base64, the alphabet of Telegram's file ids."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file; its file_id only works for the bot that uploaded it, like on Telegram."""

    owner: int
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    mime_type: str
    data: bytes

    def document(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }


@dataclass
class ChatRef:
    """A chat as one bot sees it: a private chat with a user, or a group."""

    id: int
    user: User | None = None
    group: Group | None = None

    @property
    def private(self) -> bool:
        return self.user is not None

    def api(self) -> dict[str, Any]:
        if self.user is not None:
            data: dict[str, Any] = {"id": self.user.id, "type": "private", "first_name": self.user.first_name}
            for name in ("last_name", "username"):
                if getattr(self.user, name):
                    data[name] = getattr(self.user, name)
            return data
        assert self.group is not None
        return self.group.api()


class RateState:
    """Sliding windows and token buckets behind the 429 answers."""

    def __init__(self) -> None:
        self.global_hits: deque[float] = deque()
        self.group_hits: dict[int, deque[float]] = {}
        self.buckets: dict[int, tuple[float, float]] = {}  # chat id -> (tokens, last refill)

    def take(self, limits: Limits, chat: ChatRef, now: float) -> int | None:
        """Count one message, or return the retry_after Telegram would answer instead."""
        if not limits.enabled:
            return None
        waits: list[float] = []
        hits = self.global_hits
        while hits and hits[0] <= now - 1.0:
            hits.popleft()
        if len(hits) >= limits.global_rate:
            waits.append(hits[0] + 1.0 - now)
        tokens = 0.0
        if chat.private:
            tokens, last = self.buckets.get(chat.id, (float(limits.chat_burst), now))
            tokens = min(float(limits.chat_burst), tokens + (now - last) * limits.chat_rate)
            if tokens < 1.0:
                waits.append((1.0 - tokens) / limits.chat_rate)
        else:
            group = self.group_hits.setdefault(chat.id, deque())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= limits.group_per_minute:
                waits.append(group[0] + 60.0 - now)
        if waits:
            return max(1, math.ceil(max(waits)))
        hits.append(now)
        if chat.private:
            self.buckets[chat.id] = (tokens - 1.0, now)
        else:
            self.group_hits[chat.id].append(now)
        return None


class BotState:
    """Everything the emulated Telegram keeps for one bot token."""

    def __init__(self, token: str, username: str, first_name: str):
        match = TOKEN_RE.match(token)
        assert match is not None
        self.token = token
        self.id = int(match.group(1))
        self.username = username
        self.first_name = first_name
        self.can_read_all_group_messages = False
        self.revoked = False
        self.retired = False
        self.updates: list[dict[str, Any]] = []
        self.allowed_updates: frozenset[str] | None = None
        self.changed = asyncio.Event()
        self.poll_generation = 0
        self.webhook: dict[str, Any] | None = None
        self.webhook_task: asyncio.Task[None] | None = None
        self.webhook_error: tuple[int, str] | None = None
        self.started: set[int] = set()
        self.blocked: set[int] = set()
        self.commands: dict[tuple[str, str], dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []
        self.sent_index: dict[tuple[int, int], dict[str, Any]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.polls: dict[str, dict[str, Any]] = {}  # poll id -> poll, its message, votes and closing timer
        self.callback_answers: list[dict[str, Any]] = []
        self.chat_actions: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.too_many_requests = 0
        self.dropped_updates = 0
        self.webhook_deliveries = 0
        self.call_log: deque[dict[str, Any]] = deque(maxlen=1000)
        self.rate = RateState()
        self.faults: list[dict[str, Any]] = []

    def user(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name, "username": self.username}

    def me(self) -> dict[str, Any]:
        return {
            **self.user(),
            "can_join_groups": True,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def notify(self) -> None:
        """Wake long polls and the webhook sender."""
        self.changed.set()
        self.changed = asyncio.Event()

    def accepts(self, kind: str) -> bool:
        if not self.allowed_updates:
            return kind not in OPT_IN_UPDATE_TYPES
        return kind in self.allowed_updates

    def set_allowed_updates(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise bad_request("can't parse allowed_updates JSON object")
        # Like Telegram: unknown names are ignored and an empty list restores the default set.
        self.allowed_updates = frozenset(v for v in value if v in ALL_UPDATE_TYPES) or None


@dataclass(frozen=True)
class Described:
    """A successful result that Telegram answers together with a ``description`` (the webhook methods)."""

    result: Any
    description: str


MethodHandler = Callable[["Emulator", BotState, Params], Awaitable[Any]]
_METHODS: dict[str, tuple[str, MethodHandler]] = {}


def api_method(name: str) -> Callable[[MethodHandler], MethodHandler]:
    def register(handler: MethodHandler) -> MethodHandler:
        _METHODS[name.lower()] = (name, handler)
        return handler

    return register


def _message_producing(method: str) -> bool:
    lowered = method.lower()
    if lowered == "sendchataction":
        return False
    return lowered.startswith(("send", "edit", "forward", "copy"))


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember object with every field aiogram requires for that status."""
    if status == "creator":
        return {"status": status, "user": user, "is_anonymous": False}
    if status == "administrator":
        rights = """can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members can_change_info
        can_invite_users can_post_stories can_edit_stories can_delete_stories can_pin_messages
        can_send_welcome_messages can_manage_topics""".split()
        return {
            "status": status,
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_promote_members": False,
            **dict.fromkeys(rights, True),
        }
    if status == "restricted":
        denied = """can_send_messages can_send_audios can_send_documents can_send_photos can_send_videos
        can_send_video_notes can_send_voice_notes can_send_polls can_send_other_messages can_add_web_page_previews
        can_react_to_messages can_edit_tag can_change_info can_invite_users can_pin_messages
        can_manage_topics""".split()
        return {"status": status, "user": user, "is_member": True, "until_date": 0, **dict.fromkeys(denied, False)}
    if status == "kicked":
        return {"status": status, "user": user, "until_date": 0}
    return {"status": status, "user": user}


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    # Telegram nests only one level of reply_to_message.
    return {key: copy.deepcopy(value) for key, value in message.items() if key != "reply_to_message"}


# ------------------------------------------------------------------------------------------ the emulator


class Emulator:
    """State of the emulated Telegram plus the Bot API and ``/_emu`` control handlers.

    Where it knowingly differs from Telegram: webhooks may use http:// and are delivered one
    update at a time; a bare ``&`` in HTML is rejected; edits are not rate limited; privacy mode
    treats every plain ``/command`` as meant for the bot (there is no "last bot that spoke");
    documents come as uploads or file_ids only (no HTTP URLs), and private chats have no topics;
    users, groups and message ids are made up by the tests through ``/_emu``.
    """

    def __init__(self, limits: Limits | None = None, default_username: str = DEFAULT_BOT_USERNAME):
        self.initial_limits = dataclasses.replace(limits) if limits else Limits()
        self.default_username = default_username
        # Never reset: a running bot keeps its offset across /_emu/reset, as real update ids only grow.
        self._update_ids = itertools.count(1)
        # Never reset either, so a file_id or poll id kept from an earlier test can't name a new one.
        self._poll_ids = itertools.count(1)
        self._file_numbers = itertools.count(1)
        self._media_groups = itertools.count(13_000_000_000_000_001)
        self._clear()

    def _clear(self) -> None:
        self.limits = dataclasses.replace(self.initial_limits)
        self.users: dict[int, User] = {}
        self.groups: dict[int, Group] = {}
        self.bots: dict[str, BotState] = {}
        self.messages: dict[tuple[Any, ...], dict[int, dict[str, Any]]] = {}
        self.message_ids: dict[tuple[Any, ...], int] = {}
        self.files: dict[str, StoredFile] = {}
        self.next_user_id = 1_000_001
        self.next_group_number = 1
        self.callback_sequence = 0

    def reset(self) -> None:
        for bot in self.bots.values():
            bot.retired = True
            self._stop_webhook(bot)
            for poll in bot.polls.values():
                if poll["timer"] is not None:
                    poll["timer"].cancel()
            bot.notify()
        self._clear()

    async def shutdown(self) -> None:
        tasks = [bot.webhook_task for bot in self.bots.values() if bot.webhook_task]
        self.reset()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ----------------------------------------------------------------------------- lookups

    def bot(self, token: str) -> BotState:
        state = self.bots.get(token)
        if state is None:
            state = self.bots[token] = BotState(token, self.default_username, DEFAULT_BOT_FIRST_NAME)
        return state

    def user_dict(self, user_id: int) -> dict[str, Any] | None:
        user = self.users.get(user_id)
        return user.api() if user else None

    def resolve_chat(self, raw: Any) -> ChatRef:
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        if isinstance(raw, str):
            value = raw.strip()
            if value.startswith("@"):
                name = value[1:].lower()
                for group in self.groups.values():
                    if group.username and group.username.lower() == name:
                        return ChatRef(group.id, group=group)
                raise bad_request("chat not found")
            try:
                chat_id = int(value)
            except ValueError:
                raise bad_request("chat not found") from None
        elif isinstance(raw, int) and not isinstance(raw, bool):
            chat_id = raw
        else:
            raise bad_request("chat not found")
        if chat_id in self.users:
            return ChatRef(chat_id, user=self.users[chat_id])
        if chat_id in self.groups:
            return ChatRef(chat_id, group=self.groups[chat_id])
        raise bad_request("chat not found")

    @staticmethod
    def chat_key(bot: BotState, chat: ChatRef) -> tuple[Any, ...]:
        # Each private chat is the bot's own; a group's message ids are shared by everyone in it.
        return ("private", bot.id, chat.id) if chat.private else ("group", chat.id)

    def find_message(self, bot: BotState, chat: ChatRef, message_id: int | None) -> dict[str, Any] | None:
        if message_id is None:
            return None
        return self.messages.get(self.chat_key(bot, chat), {}).get(message_id)

    def store_message(self, bot: BotState, chat: ChatRef, message: dict[str, Any]) -> dict[str, Any]:
        key = self.chat_key(bot, chat)
        message_id = self.message_ids.get(key, 0) + 1
        self.message_ids[key] = message_id
        message["message_id"] = message_id
        self.messages.setdefault(key, {})[message_id] = message
        return message

    def check_can_send(self, bot: BotState, chat: ChatRef) -> None:
        if chat.user is not None:
            if chat.user.is_bot:
                raise forbidden("bot can't send messages to bots")
            if chat.user.id in bot.blocked:
                raise forbidden("bot was blocked by the user")
            if chat.user.id not in bot.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        assert chat.group is not None
        status = chat.group.members.get(bot.id, "left")
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.group.kind} chat")
        if status == "left":
            raise forbidden(f"bot is not a member of the {chat.group.kind} chat")
        if status == "restricted":
            raise bad_request("not enough rights to send text messages to the chat")

    def queue_update(self, bot: BotState, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue an update, unless the bot's allowed_updates exclude it: Telegram drops those at creation."""
        if not bot.accepts(kind):
            bot.dropped_updates += 1
            return None
        update_id = next(self._update_ids)
        bot.updates.append({"update_id": update_id, kind: copy.deepcopy(payload)})
        bot.notify()
        return update_id

    def _take_rate(self, bot: BotState, chat: ChatRef) -> None:
        retry_after = bot.rate.take(self.limits, chat, time.monotonic())
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def _injected_fault(self, bot: BotState, method: str) -> None:
        for fault in bot.faults:
            if fault["remaining"] <= 0:
                continue
            target = fault["method"]
            if target == method.lower() or (target == "*" and _message_producing(method)):
                fault["remaining"] -= 1
                if fault["error_code"] == 429:
                    raise too_many_requests(fault["retry_after"])
                raise ApiError(fault["error_code"], fault["description"])

    # ----------------------------------------------------------------------------- calls

    async def call(
        self, bot: BotState, method: str, handler: MethodHandler, params: Params
    ) -> tuple[int, dict[str, Any]]:
        bot.calls[method] += 1
        try:
            self._injected_fault(bot, method)
            result = await handler(self, bot, params)
        except ApiError as error:
            status, body = error.code, error.body()
        except Exception as error:  # noqa: BLE001 - an emulator bug must reach the test as a readable 500
            log.exception("%s failed inside the emulator", method)
            status, body = 500, ApiError(500, f"Internal Server Error: emulator failure {error!r}").body()
        else:
            status = 200
            if isinstance(result, Described):
                body = {"ok": True, "result": result.result, "description": result.description}
            else:
                body = {"ok": True, "result": result}
        if status != 200:
            bot.errors[str(status)] += 1
            if status == 429:
                bot.too_many_requests += 1
        bot.call_log.append(
            {"method": method, "status": status, "at": time.time(), "description": body.get("description")}
        )
        return status, body

    async def handle_bot_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not TOKEN_RE.match(token):
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        bot = self.bot(token)
        if bot.revoked:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        entry = _METHODS.get(request.match_info["method"].lower())
        if entry is None:
            bot.calls[request.match_info["method"]] += 1
            bot.errors["404"] += 1
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        try:
            params = await read_params(request)
        except ApiError as error:
            return web.json_response(error.body(), status=error.code)
        status, body = await self.call(bot, entry[0], entry[1], params)
        return web.json_response(body, status=status)

    async def handle_file_download(self, request: web.Request) -> web.Response:
        """``GET /file/bot<token>/<file_path>``, where a bot downloads what getFile described."""
        bot = self.bots.get(request.match_info["token"])
        path = request.match_info["path"]
        found = next((f for f in self.files.values() if f.file_path == path), None)
        if found is None or bot is None or found.owner != bot.id:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=found.data, content_type="application/octet-stream")

    # ----------------------------------------------------------------------------- webhook delivery

    def _start_webhook(self, bot: BotState) -> None:
        self._stop_webhook(bot)
        assert bot.webhook is not None
        bot.webhook_task = asyncio.create_task(self._webhook_loop(bot, bot.webhook))

    @staticmethod
    def _stop_webhook(bot: BotState) -> None:
        if bot.webhook_task is not None:
            bot.webhook_task.cancel()
            bot.webhook_task = None

    async def _webhook_loop(self, bot: BotState, hook: dict[str, Any]) -> None:
        """Deliver pending updates one at a time, in order, retrying with a short backoff like Telegram."""
        delay = WEBHOOK_RETRY_MIN
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            while bot.webhook is hook and not bot.retired:
                if not bot.updates:
                    await bot.changed.wait()
                    continue
                update = bot.updates[0]
                reply: dict[str, Any] | None = None
                error = ""
                try:
                    async with session.post(hook["url"], data=json.dumps(update), headers=headers) as response:
                        if 200 <= response.status < 300:
                            reply = await _webhook_reply(response, bot.token)
                        else:
                            error = f"Wrong response from the webhook: {response.status} {response.reason}"
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    error = "Connection timed out" if isinstance(exc, TimeoutError) else f"Connection failed: {exc}"
                if bot.webhook is not hook:
                    return
                if error:
                    bot.webhook_error = (int(time.time()), error)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, WEBHOOK_RETRY_MAX)
                    continue
                delay = WEBHOOK_RETRY_MIN
                bot.updates = [u for u in bot.updates if u["update_id"] != update["update_id"]]
                bot.webhook_deliveries += 1
                if reply:
                    entry = _METHODS.get(str(reply.pop("method")).lower())
                    if entry is not None:
                        # Telegram runs a method given in the webhook answer and ignores its result.
                        await self.call(bot, entry[0], entry[1], Params(reply))

    # ----------------------------------------------------------------------------- bot messages

    def _reply_target(self, bot: BotState, chat: ChatRef, p: Params) -> dict[str, Any] | None:
        parameters = p.json("reply_parameters", "can't parse reply parameters JSON object")
        allow_without = p.flag("allow_sending_without_reply")
        message_id: Any = None
        if isinstance(parameters, dict):
            message_id = parameters.get("message_id")
            allow_without = bool(parameters.get("allow_sending_without_reply", allow_without))
        elif p.has("reply_to_message_id"):
            message_id = p.integer("reply_to_message_id")
        if not message_id:
            return None
        target = self.find_message(bot, chat, int(message_id))
        if target is None:
            if allow_without:
                return None
            raise bad_request("message to be replied not found")
        return target

    def _thread(self, chat: ChatRef, requested: int | None, reply_to: dict[str, Any] | None, sender: int) -> int | None:
        """The message thread a new message lands in, checked like the Bot API checks message_thread_id."""
        group = chat.group
        thread = None
        if requested and group is None:
            # Private chats only have topics for bots that enabled them, which emulated bots never do.
            raise bad_request("message thread not found")
        if requested and group is not None and group.is_forum:
            if requested not in group.topics:
                raise bad_request("message thread not found")
            thread = requested
        elif reply_to is not None and group is not None and group.type == "supergroup":
            # Outside forums Telegram ignores message_thread_id. A reply stays in the topic of the message it
            # answers; in other supergroups it joins that message's reply thread, so it carries message_thread_id.
            thread = reply_to.get("message_thread_id")
            if thread is None and not group.is_forum:
                thread = reply_to["message_id"]
        topic = group.topics.get(thread) if group is not None and thread else None
        if topic is not None and topic.is_closed and group.members.get(sender) not in ("administrator", "creator"):
            raise bad_request("TOPIC_CLOSED")
        return thread

    def _place(
        self, bot: BotState, chat: ChatRef, message: dict[str, Any], thread: int | None, reply_to: dict[str, Any] | None
    ) -> None:
        """Set a new message's thread fields and the message it replies to."""
        if thread:
            message["message_thread_id"] = thread
            if chat.group is not None and chat.group.is_forum:
                message["is_topic_message"] = True
                # Telegram shows every topic message as a reply to the service message that created the topic.
                reply_to = reply_to or self.find_message(bot, chat, thread)
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(reply_to)

    def _prepare_send(self, bot: BotState, p: Params) -> tuple[ChatRef, dict[str, Any] | None, int | None]:
        """The checks every sending method makes before a message exists: chat, rights, reply, thread, flood."""
        chat = self.resolve_chat(p.raw("chat_id"))
        self.check_can_send(bot, chat)
        reply_to = self._reply_target(bot, chat, p)
        thread = self._thread(chat, p.integer("message_thread_id"), reply_to, bot.id)
        self._take_rate(bot, chat)
        return chat, reply_to, thread

    def _bot_message(
        self,
        bot: BotState,
        chat: ChatRef,
        method: str,
        content: dict[str, Any],
        markup: dict[str, Any] | None,
        p: Params,
        reply_to: dict[str, Any] | None,
        thread: int | None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"message_id": 0, "from": bot.user(), "chat": chat.api(), "date": int(time.time())}
        self._place(bot, chat, message, thread, reply_to)
        message.update(content)
        if _inline_markup(markup):
            message["reply_markup"] = markup
        if p.flag("protect_content"):
            message["has_protected_content"] = True
        self.store_message(bot, chat, message)
        record = {
            "chat_id": chat.id,
            "message_id": message["message_id"],
            "method": method,
            "text": content.get("text"),
            "entities": content.get("entities", []),
            "raw_text": p.text("text"),
            "parse_mode": p.text("parse_mode"),
            "caption": content.get("caption"),
            "caption_entities": content.get("caption_entities", []),
            "document": content.get("document"),
            "reply_markup": markup,
            "reply_to_message_id": reply_to["message_id"] if reply_to else None,
            "message_thread_id": message.get("message_thread_id"),
            "disable_notification": p.flag("disable_notification"),
            "protect_content": p.flag("protect_content"),
            "link_preview_options": content.get("link_preview_options"),
            "poll": content.get("poll"),
            "sent_at": time.time(),
            "edited_at": None,
            "edits": [],
            "deleted": False,
            "message": message,
        }
        # The fields above follow edits; the first version stays readable here.
        record["original"] = {k: record[k] for k in ("text", "entities", "raw_text", "parse_mode", "reply_markup")}
        bot.sent.append(record)
        bot.sent_index[(chat.id, message["message_id"])] = record
        return message

    def _editable(self, bot: BotState, p: Params, not_found: str) -> tuple[ChatRef, dict[str, Any]]:
        if p.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        if not p.has("chat_id") or not p.has("message_id"):
            raise bad_request("message identifier is not specified")
        chat = self.resolve_chat(p.raw("chat_id"))
        message = self.find_message(bot, chat, p.integer("message_id"))
        if message is None:
            raise bad_request(not_found)
        if message["from"]["id"] != bot.id:
            raise bad_request("message can't be edited")
        return chat, message

    def _record_edit(self, bot: BotState, chat: ChatRef, message: dict[str, Any], method: str, p: Params) -> None:
        record = bot.sent_index.get((chat.id, message["message_id"]))
        if record is None:
            return
        now = time.time()
        record["text"] = message.get("text")
        record["entities"] = message.get("entities", [])
        record["reply_markup"] = message.get("reply_markup")
        if p.has("text"):
            record["raw_text"] = p.text("text")
            record["parse_mode"] = p.text("parse_mode")
        record["edited_at"] = now
        record["edits"].append(
            {
                "method": method,
                "text": record["text"],
                "raw_text": record["raw_text"],
                "parse_mode": record["parse_mode"],
                "entities": record["entities"],
                "reply_markup": record["reply_markup"],
                "at": now,
            }
        )

    def _group_sees(self, bot: BotState, group: Group, message: dict[str, Any], service: bool) -> bool:
        """Privacy mode: without it or admin rights a bot only sees what is meant for it."""
        status = group.members.get(bot.id, "left")
        if status not in PRESENT_STATUSES:
            return False
        if service or bot.can_read_all_group_messages or status in ("administrator", "creator"):
            return True
        replied = message.get("reply_to_message")
        if replied and replied.get("from", {}).get("id") == bot.id:
            return True
        text = message.get("text", "")
        for entity in message.get("entities", []):
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                command = text.encode("utf-16-le", "surrogatepass")[: entity["length"] * 2].decode("utf-16-le")
                _, _, addressee = command.partition("@")
                return not addressee or addressee.lower() == bot.username.lower()
        return False

    # ----------------------------------------------------------------------------- Bot API methods

    @api_method("getMe")
    async def _get_me(self, bot: BotState, p: Params) -> Any:
        return bot.me()

    @api_method("logOut")
    async def _log_out(self, bot: BotState, p: Params) -> Any:
        return True

    @api_method("close")
    async def _close(self, bot: BotState, p: Params) -> Any:
        return True

    @api_method("getUpdates")
    async def _get_updates(self, bot: BotState, p: Params) -> Any:
        if bot.webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = p.integer("offset") or 0
        limit = min(max(p.integer("limit") or 100, 1), 100)
        timeout = max(p.integer("timeout") or 0, 0)
        bot.set_allowed_updates(p.json("allowed_updates", "can't parse allowed_updates JSON object"))
        if offset > 0:
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        elif offset < 0:
            bot.updates = bot.updates[offset:]
        bot.poll_generation += 1
        generation = bot.poll_generation
        bot.notify()  # an older long poll of this bot ends with 409, as on the real server
        deadline = time.monotonic() + timeout
        while True:
            if bot.retired:
                return []
            if generation != bot.poll_generation:
                raise ApiError(409, POLL_TERMINATED)
            if bot.webhook is not None:
                raise ApiError(409, WEBHOOK_ACTIVE)
            if bot.updates:
                return bot.updates[:limit]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(bot.changed.wait(), remaining)

    @api_method("setWebhook")
    async def _set_webhook(self, bot: BotState, p: Params) -> Any:
        url = (p.text("url") or "").strip()
        if not url:
            return await self._delete_webhook(bot, p)
        scheme = _URL_SCHEME_RE.match(url)
        # Real Telegram insists on HTTPS; the emulator also takes http:// so tests need no certificate.
        if scheme is None or scheme.group(1).lower() not in ("http", "https"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.text("secret_token")
        if secret is not None:
            if len(secret) > 256:
                raise bad_request("secret token is too long")
            if not re.fullmatch(r"[A-Za-z0-9_-]+", secret):
                raise bad_request("secret token contains unallowed characters")
        max_connections = p.integer("max_connections") or 40
        if not 1 <= max_connections <= 100:
            max_connections = min(max(max_connections, 1), 100)
        bot.set_allowed_updates(p.json("allowed_updates", "can't parse allowed_updates JSON object"))
        if p.flag("drop_pending_updates"):
            bot.updates.clear()
        hook = {
            "url": url,
            "secret_token": secret,
            "max_connections": max_connections,
            "ip_address": p.text("ip_address"),
        }
        same = bot.webhook is not None and bot.webhook == hook
        if not same:
            bot.webhook = hook
            bot.webhook_error = None
            self._start_webhook(bot)
            bot.notify()
        return Described(True, "Webhook is already set" if same else "Webhook was set")

    @api_method("deleteWebhook")
    async def _delete_webhook(self, bot: BotState, p: Params) -> Any:
        if p.flag("drop_pending_updates"):
            bot.updates.clear()
        if bot.webhook is None:
            return Described(True, "Webhook is already deleted")
        bot.webhook = None
        bot.webhook_error = None
        self._stop_webhook(bot)
        bot.notify()
        return Described(True, "Webhook was deleted")

    @api_method("getWebhookInfo")
    async def _get_webhook_info(self, bot: BotState, p: Params) -> Any:
        info: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": len(bot.updates)}
        if bot.webhook is not None:
            info["url"] = bot.webhook["url"]
            info["max_connections"] = bot.webhook["max_connections"]
            if bot.webhook.get("ip_address"):
                info["ip_address"] = bot.webhook["ip_address"]
            if bot.allowed_updates:
                info["allowed_updates"] = sorted(bot.allowed_updates)
            if bot.webhook_error:
                info["last_error_date"], info["last_error_message"] = bot.webhook_error
        return info

    @api_method("sendMessage")
    async def _send_message(self, bot: BotState, p: Params) -> Any:
        text, entities = format_text(p.text("text"), p.text("parse_mode"), p.raw("entities"), self.user_dict)
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        markup = parse_reply_markup(p.raw("reply_markup"))
        preview = p.json("link_preview_options", "can't parse link preview options JSON object")
        chat, reply_to, thread = self._prepare_send(bot, p)
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if isinstance(preview, dict) and preview:
            content["link_preview_options"] = preview
        elif p.flag("disable_web_page_preview"):
            content["link_preview_options"] = {"is_disabled": True}
        return self._bot_message(bot, chat, "sendMessage", content, markup, p, reply_to, thread)

    def _input_document(self, bot: BotState, p: Params, field: str = "document") -> StoredFile | Upload:
        """The document to send: a new upload, or a file this bot sent before, named by its file_id."""
        document = p.file(field)
        if document is None:
            raise bad_request("there is no document in the request")
        if isinstance(document, Upload):
            if not document.data:
                raise bad_request("file must be non-empty")
            return document
        known = self.files.get(document.strip())
        if known is None or known.owner != bot.id:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known

    def _store_upload(self, bot: BotState, upload: Upload) -> StoredFile:
        number = next(self._file_numbers)
        name = upload.filename or "document"
        suffix = name[name.rfind(".") :] if "." in name else ""
        # Telegram names the type after the file name; the part's own Content-Type is a last resort.
        mime_type = mimetypes.guess_type(name)[0] or upload.content_type or "application/octet-stream"
        stored = StoredFile(
            owner=bot.id,
            file_id="BQACAgIAAxkBAA" + _b64(f"{bot.id}:{number}"),
            file_unique_id="AgAD" + _b64(str(number)),
            file_path=f"documents/file_{number}{suffix}",
            file_name=name,
            mime_type=mime_type,
            data=upload.data,
        )
        self.files[stored.file_id] = stored
        return stored

    @api_method("sendDocument")
    async def _send_document(self, bot: BotState, p: Params) -> Any:
        document = self._input_document(bot, p)
        caption, entities = format_text(
            p.text("caption"), p.text("parse_mode"), p.raw("caption_entities"), self.user_dict
        )
        if len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        markup = parse_reply_markup(p.raw("reply_markup"))
        chat, reply_to, thread = self._prepare_send(bot, p)
        if isinstance(document, Upload):
            document = self._store_upload(bot, document)
        content: dict[str, Any] = {"document": document.document()}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        return self._bot_message(bot, chat, "sendDocument", content, markup, p, reply_to, thread)

    @api_method("sendPhoto")
    async def _send_photo(self, bot: BotState, p: Params) -> Any:
        """A photo: Telegram answers with its sizes (here one, the upload itself), largest last."""
        photo = self._input_document(bot, p, "photo")
        caption, entities = format_text(
            p.text("caption"), p.text("parse_mode"), p.raw("caption_entities"), self.user_dict
        )
        if len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        if isinstance(photo, Upload):
            if not (photo.content_type or "").startswith("image/") and not (
                (mimetypes.guess_type(photo.filename or "")[0] or "").startswith("image/")
            ):
                raise bad_request("IMAGE_PROCESS_FAILED")
            photo = self._store_upload(bot, photo)
        markup = parse_reply_markup(p.raw("reply_markup"))
        chat, reply_to, thread = self._prepare_send(bot, p)
        size = {"file_id": photo.file_id, "file_unique_id": photo.file_unique_id, "file_size": len(photo.data),
                "width": 0, "height": 0}
        content: dict[str, Any] = {"photo": [size]}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        return self._bot_message(bot, chat, "sendPhoto", content, markup, p, reply_to, thread)

    @api_method("getFile")
    async def _get_file(self, bot: BotState, p: Params) -> Any:
        stored = self.files.get((p.text("file_id") or "").strip())
        if stored is None or stored.owner != bot.id:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    @api_method("sendPoll")
    async def _send_poll(self, bot: BotState, p: Params) -> Any:
        question = (p.text("question") or "").strip()
        if not question:
            raise bad_request("poll question must be non-empty")
        if len(question) > 300:
            raise bad_request("poll question length must not exceed 300")
        raw_options = p.json("options", "can't parse options JSON object")
        if not isinstance(raw_options, list):
            raise bad_request("can't parse options JSON object")
        options = [(o.get("text") if isinstance(o, dict) else o) for o in raw_options]
        if not all(isinstance(o, str) and o.strip() for o in options):
            raise bad_request("poll options must be non-empty")
        if len(options) < 2:
            raise bad_request("poll must have at least 2 option")
        if len(options) > 12:
            raise bad_request("poll can't have more than 12 options")
        poll_type = p.text("type") or "regular"
        if poll_type not in ("regular", "quiz"):
            raise bad_request("wrong poll type specified")
        correct = self._correct_options(p, len(options)) if poll_type == "quiz" else []
        now = int(time.time())
        open_period = max(p.integer("open_period") or 0, 0)
        close_date = p.integer("close_date") or 0
        if open_period:
            close_date = now + open_period
        elif close_date:
            open_period = max(close_date - now, 0)
        markup = parse_reply_markup(p.raw("reply_markup"))
        chat, reply_to, thread = self._prepare_send(bot, p)
        poll: dict[str, Any] = {
            "id": str(POLL_ID_BASE + next(self._poll_ids)),
            "question": question,
            "options": [
                {"persistent_id": str(index), "text": text.strip(), "voter_count": 0}
                for index, text in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": p.flag("is_closed"),
            "is_anonymous": p.flag("is_anonymous", default=True),
            "type": poll_type,
            "allows_multiple_answers": p.flag("allows_multiple_answers"),
            # Voters may change their mind in a regular poll, not in a quiz, unless the bot says otherwise.
            "allows_revoting": p.flag("allows_revoting", default=poll_type != "quiz"),
            "members_only": p.flag("members_only"),
        }
        if open_period and close_date:
            poll["open_period"], poll["close_date"] = open_period, close_date
        if poll_type == "quiz":
            if len(correct) == 1:
                poll["correct_option_id"] = correct[0]
            poll["correct_option_ids"] = correct
            if p.has("explanation"):
                poll["explanation"] = p.text("explanation")
        message = self._bot_message(bot, chat, "sendPoll", {"poll": poll}, markup, p, reply_to, thread)
        state = {"poll": poll, "chat_id": chat.id, "message_id": message["message_id"], "votes": {}, "timer": None}
        if close_date and not poll["is_closed"]:
            delay = max(close_date - time.time(), 0)
            state["timer"] = asyncio.get_running_loop().call_later(delay, self._close_poll, bot, poll["id"])
        bot.polls[poll["id"]] = state
        return message

    @staticmethod
    def _correct_options(p: Params, count: int) -> list[int]:
        raw = p.json("correct_option_ids", "can't parse correct option identifiers JSON object")
        if raw is None:
            raw = [p.integer("correct_option_id") or 0]
        if not isinstance(raw, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in raw):
            raise bad_request("expected an Array of correct option identifiers")
        if not raw or not all(0 <= i < count for i in raw):
            raise bad_request("invalid correct option identifier specified")
        return sorted(set(raw))

    def _close_poll(self, bot: BotState, poll_id: str) -> None:
        """Close a poll when its time is up or the bot stops it; Telegram then sends the final state."""
        state = bot.polls[poll_id]
        if state["timer"] is not None:
            state["timer"].cancel()
            state["timer"] = None
        if state["poll"]["is_closed"]:
            return
        state["poll"]["is_closed"] = True
        self.queue_update(bot, "poll", state["poll"])

    @api_method("stopPoll")
    async def _stop_poll(self, bot: BotState, p: Params) -> Any:
        markup = parse_reply_markup(p.raw("reply_markup"), inline_only=True)
        if not p.has("chat_id") or not p.has("message_id"):
            raise bad_request("message identifier is not specified")
        chat = self.resolve_chat(p.raw("chat_id"))
        message = self.find_message(bot, chat, p.integer("message_id"))
        if message is None:
            raise bad_request("message with poll to stop not found")
        if "poll" not in message:
            raise bad_request("message is not a poll")
        if message["from"]["id"] != bot.id:
            raise bad_request("poll can't be stopped")
        state = bot.polls[message["poll"]["id"]]
        if state["poll"]["is_closed"]:
            raise bad_request("poll has already been closed")
        self._close_poll(bot, state["poll"]["id"])
        # Like the edit methods, stopPoll leaves the message with exactly the keyboard it was given.
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        self._record_edit(bot, chat, message, "stopPoll", p)
        return copy.deepcopy(state["poll"])

    @api_method("editMessageText")
    async def _edit_message_text(self, bot: BotState, p: Params) -> Any:
        text, entities = format_text(p.text("text"), p.text("parse_mode"), p.raw("entities"), self.user_dict)
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = parse_reply_markup(p.raw("reply_markup"), inline_only=True)
        chat, message = self._editable(bot, p, "message to edit not found")
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        # Leaving reply_markup out removes the keyboard, exactly like Telegram does.
        if (
            message["text"] == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise bad_request(NOT_MODIFIED)
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        self._record_edit(bot, chat, message, "editMessageText", p)
        return message

    @api_method("editMessageReplyMarkup")
    async def _edit_message_reply_markup(self, bot: BotState, p: Params) -> Any:
        markup = parse_reply_markup(p.raw("reply_markup"), inline_only=True)
        chat, message = self._editable(bot, p, "message to edit not found")
        if message.get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED)
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        self._record_edit(bot, chat, message, "editMessageReplyMarkup", p)
        return message

    def _delete(self, bot: BotState, chat: ChatRef, message_id: int | None) -> None:
        message = self.find_message(bot, chat, message_id)
        if message is None:
            raise bad_request("message to delete not found")
        foreign = message["from"]["id"] != bot.id and chat.group is not None
        if foreign and chat.group.members.get(bot.id) not in ("administrator", "creator"):  # type: ignore[union-attr]
            raise bad_request("message can't be deleted")
        self._remove_message(bot, chat, message["message_id"])

    def _remove_message(self, bot: BotState, chat: ChatRef, message_id: int) -> None:
        del self.messages[self.chat_key(bot, chat)][message_id]
        record = bot.sent_index.get((chat.id, message_id))
        if record is not None:
            record["deleted"] = True
            record["deleted_at"] = time.time()

    @api_method("deleteMessage")
    async def _delete_message(self, bot: BotState, p: Params) -> Any:
        chat = self.resolve_chat(p.raw("chat_id"))
        self._delete(bot, chat, p.integer("message_id", "message identifier is not specified"))
        return True

    @api_method("deleteMessages")
    async def _delete_messages(self, bot: BotState, p: Params) -> Any:
        chat = self.resolve_chat(p.raw("chat_id"))
        ids = p.json("message_ids", "can't parse message identifiers JSON object")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message identifiers are not specified")
        for message_id in ids:
            try:
                self._delete(bot, chat, int(message_id))
            except ApiError:
                continue  # Telegram skips messages that can't be found or deleted
        return True

    @api_method("answerCallbackQuery")
    async def _answer_callback_query(self, bot: BotState, p: Params) -> Any:
        query_id = p.text("callback_query_id")
        query = bot.callback_queries.get(query_id or "")
        if query is None or query["answered"]:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        query["answered"] = True
        bot.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": p.text("text"),
                "show_alert": p.flag("show_alert"),
                "url": p.text("url"),
                "cache_time": p.integer("cache_time") or 0,
                "answered_at": time.time(),
                "data": query["query"].get("data"),
                "from_id": query["query"]["from"]["id"],
            }
        )
        return True

    @api_method("sendChatAction")
    async def _send_chat_action(self, bot: BotState, p: Params) -> Any:
        action = p.text("action")
        chat = self.resolve_chat(p.raw("chat_id"))
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.check_can_send(bot, chat)
        bot.chat_actions.append(
            {
                "chat_id": chat.id,
                "action": action,
                "message_thread_id": p.integer("message_thread_id"),
                "at": time.time(),
            }
        )
        return True

    @api_method("getChat")
    async def _get_chat(self, bot: BotState, p: Params) -> Any:
        chat = self.resolve_chat(p.raw("chat_id"))
        if chat.group is not None and not chat.group.username:
            status = chat.group.members.get(bot.id, "left")
            if status == "kicked":
                raise forbidden(f"bot was kicked from the {chat.group.kind} chat")
            if status == "left":
                raise bad_request("chat not found")
        info = {
            **chat.api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(
                ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"),
                chat.private,
            ),
        }
        if chat.group is not None and chat.group.description:
            info["description"] = chat.group.description
        return info

    def _chat_member(self, bot: BotState, chat: ChatRef, user_id: int) -> dict[str, Any]:
        if user_id == bot.id:
            status = "member" if chat.private else chat.group.members.get(bot.id, "left")  # type: ignore[union-attr]
            return _member(bot.user(), status)
        user = self.users.get(user_id)
        if user is None:
            raise bad_request("PARTICIPANT_ID_INVALID")
        if chat.private:
            return _member(user.api(), "member" if user_id == chat.id else "left")
        assert chat.group is not None
        return _member(user.api(), chat.group.members.get(user_id, "left"))

    def _forum(self, bot: BotState, chat: ChatRef) -> Group:
        if chat.group is None or not chat.group.is_forum:
            raise bad_request("the chat is not a forum")
        self.check_can_send(bot, chat)
        return chat.group

    def _managed_topic(self, bot: BotState, p: Params) -> tuple[ChatRef, Group, Topic]:
        """The topic a management method names; administrators manage every topic, others only their own."""
        chat = self.resolve_chat(p.raw("chat_id"))
        group = self._forum(bot, chat)
        topic = group.topics.get(p.integer("message_thread_id") or 0)
        if topic is None:
            raise bad_request("topic not found")
        if topic.creator != bot.id and group.members.get(bot.id) not in ("administrator", "creator"):
            raise bad_request("CHAT_ADMIN_REQUIRED")
        return chat, group, topic

    def _topic_name(self, raw: str | None) -> str:
        name = (raw or "").strip()
        if not name:
            raise bad_request("title must be non-empty")
        return name[:128]

    def open_topic(
        self, bot: BotState, group: Group, sender: dict[str, Any], name: str, color: int, emoji: str | None
    ) -> tuple[Topic, dict[str, Any]]:
        """Create a topic: its service message comes first and lends the topic its id."""
        message: dict[str, Any] = {"message_id": 0, "from": sender}
        if sender["id"] == ANONYMOUS_ADMIN["id"]:
            message["sender_chat"] = group.api()
        message.update(chat=group.api(), date=int(time.time()))
        self.store_message(bot, ChatRef(group.id, group=group), message)
        topic = Topic(message["message_id"], name, color, sender["id"], emoji)
        group.topics[topic.message_thread_id] = topic
        message["message_thread_id"] = topic.message_thread_id
        message["is_topic_message"] = True
        created: dict[str, Any] = {"name": name, "icon_color": color}
        if emoji:
            created["icon_custom_emoji_id"] = emoji
        message["forum_topic_created"] = created
        return topic, message

    def _topic_service(self, bot: BotState, chat: ChatRef, topic: Topic, content: dict[str, Any]) -> None:
        """A service message the bot's own topic change leaves in the topic (the bot gets no update for it)."""
        message: dict[str, Any] = {"message_id": 0, "from": bot.user(), "chat": chat.api(), "date": int(time.time())}
        self._place(bot, chat, message, topic.message_thread_id, None)
        message.update(content)
        self.store_message(bot, chat, message)

    @api_method("createForumTopic")
    async def _create_forum_topic(self, bot: BotState, p: Params) -> Any:
        chat = self.resolve_chat(p.raw("chat_id"))
        group = self._forum(bot, chat)
        if group.members.get(bot.id) not in ("administrator", "creator"):
            raise bad_request("not enough rights to create a topic")
        name = self._topic_name(p.text("name"))
        color = p.integer("icon_color") or DEFAULT_TOPIC_COLOR
        topic, _ = self.open_topic(bot, group, bot.user(), name, color, p.text("icon_custom_emoji_id"))
        return topic.api()

    @api_method("editForumTopic")
    async def _edit_forum_topic(self, bot: BotState, p: Params) -> Any:
        chat, _, topic = self._managed_topic(bot, p)
        edited: dict[str, Any] = {}
        if p.has("name") and p.text("name") != topic.name:
            topic.name = edited["name"] = self._topic_name(p.text("name"))
        emoji = p.text("icon_custom_emoji_id") or None  # an empty one removes the icon, as on Telegram
        if "icon_custom_emoji_id" in p.values and emoji != topic.icon_custom_emoji_id:
            topic.icon_custom_emoji_id = emoji
            edited["icon_custom_emoji_id"] = emoji or ""
        if not edited:
            raise bad_request("TOPIC_NOT_MODIFIED")
        self._topic_service(bot, chat, topic, {"forum_topic_edited": edited})
        return True

    async def _toggle_topic(self, bot: BotState, p: Params, closed: bool) -> bool:
        chat, _, topic = self._managed_topic(bot, p)
        if topic.is_closed == closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.is_closed = closed
        self._topic_service(bot, chat, topic, {"forum_topic_closed" if closed else "forum_topic_reopened": {}})
        return True

    @api_method("closeForumTopic")
    async def _close_forum_topic(self, bot: BotState, p: Params) -> Any:
        return await self._toggle_topic(bot, p, closed=True)

    @api_method("reopenForumTopic")
    async def _reopen_forum_topic(self, bot: BotState, p: Params) -> Any:
        return await self._toggle_topic(bot, p, closed=False)

    @api_method("deleteForumTopic")
    async def _delete_forum_topic(self, bot: BotState, p: Params) -> Any:
        chat, group, topic = self._managed_topic(bot, p)
        del group.topics[topic.message_thread_id]
        # Deleting a topic deletes every message in it.
        stored = self.messages.get(self.chat_key(bot, chat), {})
        for message_id in [i for i, m in stored.items() if m.get("message_thread_id") == topic.message_thread_id]:
            self._remove_message(bot, chat, message_id)
        return True

    @api_method("getChatMember")
    async def _get_chat_member(self, bot: BotState, p: Params) -> Any:
        chat = self.resolve_chat(p.raw("chat_id"))
        return self._chat_member(bot, chat, p.integer("user_id", "user_id is empty") or 0)

    @api_method("getChatAdministrators")
    async def _get_chat_administrators(self, bot: BotState, p: Params) -> Any:
        chat = self.resolve_chat(p.raw("chat_id"))
        if chat.group is None:
            return []
        admins = [uid for uid, status in chat.group.members.items() if status in ("creator", "administrator")]
        return [self._chat_member(bot, chat, uid) for uid in admins]

    @api_method("getChatMemberCount")
    async def _get_chat_member_count(self, bot: BotState, p: Params) -> Any:
        chat = self.resolve_chat(p.raw("chat_id"))
        if chat.group is None:
            return 2
        return sum(1 for status in chat.group.members.values() if status in PRESENT_STATUSES)

    @api_method("leaveChat")
    async def _leave_chat(self, bot: BotState, p: Params) -> Any:
        chat = self.resolve_chat(p.raw("chat_id"))
        if chat.group is None:
            raise bad_request("chat member status can't be changed in private chats")
        if chat.group.members.get(bot.id) not in PRESENT_STATUSES:
            raise forbidden(f"bot is not a member of the {chat.group.kind} chat")
        chat.group.members[bot.id] = "left"
        return True

    def _command_scope(self, p: Params) -> tuple[str, dict[str, Any], str]:
        scope = p.json("scope", "can't parse BotCommandScope JSON object") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPES:
            raise bad_request("can't parse BotCommandScope JSON object: unsupported type")
        normal: dict[str, Any] = {"type": scope["type"]}
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            chat = self.resolve_chat(scope.get("chat_id"))
            if chat.private and scope["type"] != "chat":
                raise bad_request("can't use specified scope in private chats")
            normal["chat_id"] = chat.id
            if scope["type"] == "chat_member":
                try:
                    user_id = int(scope.get("user_id"))  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    raise bad_request("user not found") from None
                if user_id not in self.users:
                    raise bad_request("user not found")
                normal["user_id"] = user_id
        language = p.text("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return json.dumps(normal, sort_keys=True), normal, language

    @api_method("setMyCommands")
    async def _set_my_commands(self, bot: BotState, p: Params) -> Any:
        raw = p.json("commands", "can't parse commands JSON object")
        raw = [] if raw is None else raw
        if not isinstance(raw, list):
            raise bad_request("can't parse commands JSON object")
        commands = []
        for item in raw:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand: expected an Object")
            for name in ("command", "description"):
                if not isinstance(item.get(name), str):
                    raise bad_request(f"can't parse BotCommand: Can't find field \"{name}\"")
            command = item["command"].strip()
            command = command[1:] if command.startswith("/") else command
            description = item["description"].strip()
            if not command:
                raise bad_request("command must be non-empty")
            if len(command) > 32:
                raise bad_request("command length must not exceed 32")
            if not description:
                raise bad_request("command description must be non-empty")
            if len(description) > 256:
                raise bad_request("command description length must not exceed 256")
            if not re.fullmatch(r"[a-z0-9_]+", command):
                raise bad_request("BOT_COMMAND_INVALID")
            commands.append({"command": command, "description": description})
        if len(commands) > MAX_COMMANDS:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        key, scope, language = self._command_scope(p)
        if commands:
            bot.commands[(key, language)] = {
                "scope": scope,
                "language_code": language,
                "commands": commands,
                "set_at": time.time(),
            }
        else:
            bot.commands.pop((key, language), None)
        return True

    @api_method("getMyCommands")
    async def _get_my_commands(self, bot: BotState, p: Params) -> Any:
        key, _, language = self._command_scope(p)
        entry = bot.commands.get((key, language))
        return copy.deepcopy(entry["commands"]) if entry else []

    @api_method("deleteMyCommands")
    async def _delete_my_commands(self, bot: BotState, p: Params) -> Any:
        key, _, language = self._command_scope(p)
        bot.commands.pop((key, language), None)
        return True

    # ----------------------------------------------------------------------------- scenario actions

    def _user(self, value: Any) -> User:
        user_id = value.get("id") if isinstance(value, dict) else value
        try:
            user = self.users.get(int(user_id))
        except (TypeError, ValueError):
            user = None
        if user is None:
            raise ControlError(404, f"unknown user {value!r}; create it with POST /_emu/users first")
        return user

    def _group(self, value: Any) -> Group:
        try:
            group = self.groups.get(int(value))
        except (TypeError, ValueError):
            group = None
        if group is None:
            raise ControlError(404, f"unknown group {value!r}; create it with POST /_emu/groups first")
        return group

    def _chat_for(self, user: User, chat_id: Any) -> ChatRef:
        if chat_id is None or chat_id == user.id:
            return ChatRef(user.id, user=user)
        group = self._group(chat_id)
        return ChatRef(group.id, group=group)

    def create_user(self, data: dict[str, Any]) -> User:
        user_id = data.get("id")
        if user_id is None:
            user_id = self.next_user_id
            self.next_user_id += 1
        if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
            raise ControlError(400, "a user id must be a positive integer")
        if not isinstance(data.get("first_name", "User"), str):
            raise ControlError(400, "first_name must be a string")
        user = User(
            id=user_id,
            first_name=data.get("first_name") or f"User{user_id}",
            last_name=data.get("last_name"),
            username=data.get("username"),
            language_code=data.get("language_code"),
            is_bot=bool(data.get("is_bot", False)),
            is_premium=data.get("is_premium"),
        )
        self.users[user_id] = user
        return user

    def create_group(self, bot: BotState, data: dict[str, Any]) -> Group:
        kind = data.get("type", "supergroup")
        if kind not in ("group", "supergroup"):
            raise ControlError(400, "type must be 'group' or 'supergroup'")
        group_id = data.get("id")
        if group_id is None:
            number = self.next_group_number
            self.next_group_number += 1
            group_id = -(1_000_000_000_000 + 500_000 + number) if kind == "supergroup" else -(500_000 + number)
        if not isinstance(group_id, int) or isinstance(group_id, bool) or group_id >= 0:
            raise ControlError(400, "a group id must be a negative integer")
        bot_status = data.get("bot_status", "member")
        if bot_status not in MEMBER_STATUSES:
            raise ControlError(400, f"bot_status must be one of {sorted(MEMBER_STATUSES)}")
        if data.get("is_forum") and kind != "supergroup":
            raise ControlError(400, "only a supergroup can be a forum")
        group = Group(
            id=group_id,
            title=str(data.get("title") or f"Group {-group_id}"),
            type=kind,
            username=data.get("username"),
            description=data.get("description"),
            is_forum=bool(data.get("is_forum", False)),
        )
        for member in data.get("members", []):
            user_id, status = (
                (member.get("user_id", member.get("id")), member.get("status", "member"))
                if isinstance(member, dict)
                else (member, "member")
            )
            if status not in MEMBER_STATUSES:
                raise ControlError(400, f"member status must be one of {sorted(MEMBER_STATUSES)}")
            group.members[self._user(user_id).id] = status
        self.groups[group_id] = group
        if group.is_forum:
            # Message 1 of a forum is the General topic's root, so no topic gets id 1 (General's own id).
            self.message_ids.setdefault(("group", group.id), 1)
        added_by = data.get("added_by")
        if added_by is not None and bot_status in PRESENT_STATUSES:
            actor = self._user(added_by)
            chat = ChatRef(group.id, group=group)
            group.members[bot.id] = bot_status
            self.queue_update(
                bot, "my_chat_member", self._member_update(chat, actor.api(), bot.user(), "left", bot_status)
            )
            self._service_message(bot, chat, actor, {"new_chat_members": [bot.user()]})
        else:
            group.members[bot.id] = bot_status
        return group

    def _member_update(
        self, chat: ChatRef, actor: dict[str, Any], subject: dict[str, Any], old: str, new: str
    ) -> dict[str, Any]:
        return {
            "chat": chat.api(),
            "from": actor,
            "date": int(time.time()),
            "old_chat_member": _member(subject, old),
            "new_chat_member": _member(subject, new),
        }

    def _service_message(self, bot: BotState, chat: ChatRef, actor: User, content: dict[str, Any]) -> dict[str, Any]:
        message = {"message_id": 0, "from": actor.api(), "chat": chat.api(), "date": int(time.time()), **content}
        self.store_message(bot, chat, message)
        seen = chat.private or (chat.group is not None and self._group_sees(bot, chat.group, message, service=True))
        update_id = self.queue_update(bot, "message", message) if seen else None
        return {"update_id": update_id, "message_id": message["message_id"], "message": message}

    def user_sends(self, bot: BotState, data: dict[str, Any], media: dict[str, Any] | None = None) -> dict[str, Any]:
        """A user's text message, or (``media``: the message's photo or document, its ``caption`` in ``data``) a file."""
        user = self._user(data.get("from", data.get("user_id")))
        chat = self._chat_for(user, data.get("chat_id"))
        text = (data.get("caption") or "") if media is not None else data.get("text")
        if media is None and (not isinstance(text, str) or not text):
            raise ControlError(400, "text must be a non-empty string")
        if media is not None and (not isinstance(text, str) or len(text) > MAX_CAPTION_LENGTH):
            raise ControlError(400, f"a caption is a string of at most {MAX_CAPTION_LENGTH} characters")
        if chat.private:
            if user.id in bot.blocked:
                raise ControlError(409, "the user blocked the bot; POST /_emu/start unblocks it")
            if user.id not in bot.started:
                raise ControlError(
                    409, "the user never started the bot (clients only offer a Start button); POST /_emu/start first"
                )
        elif chat.group is not None and chat.group.members.get(user.id, "left") not in PRESENT_STATUSES:
            raise ControlError(409, f"user {user.id} is not a member of group {chat.id}; POST /_emu/join first")
        message: dict[str, Any] = {"message_id": 0, "from": user.api(), "chat": chat.api(), "date": int(time.time())}
        target = None
        if data.get("reply_to_message_id") is not None:
            target = self.find_message(bot, chat, int(data["reply_to_message_id"]))
            if target is None:
                raise ControlError(404, f"message {data['reply_to_message_id']} not found in chat {chat.id}")
        requested = data.get("message_thread_id")
        if requested and (chat.group is None or not chat.group.is_forum):
            raise ControlError(409, f"chat {chat.id} is not a forum, so it has no topic {requested}")
        thread = self._thread(chat, int(requested) if requested else None, target, user.id)
        self._place(bot, chat, message, thread, target)
        if media is not None:
            message.update(media)
        if text:
            message["caption" if media is not None else "text"] = text
        entities = data.get("entities")
        entities = find_entities(text) if entities is None else _clean_entities(text, entities, self.user_dict)
        if entities:
            message["caption_entities" if media is not None else "entities"] = entities
        self.store_message(bot, chat, message)
        seen = chat.private or (chat.group is not None and self._group_sees(bot, chat.group, message, service=False))
        update_id = self.queue_update(bot, "message", message) if seen else None
        return {
            "update_id": update_id,
            "message_id": message["message_id"],
            "delivered": update_id is not None,
            "message": message,
        }

    def user_sends_files(self, bot: BotState, data: dict[str, Any]) -> dict[str, Any]:
        """A user sends photos or documents (``files``: ``data`` in base64, ``file_name``, ``mime_type``, ``kind`` photo
        or document) with a ``caption``: one file is one message; several are an album, messages sharing a
        ``media_group_id``, the caption on the first, queued together as Telegram delivers them."""
        files = data.get("files")
        if not isinstance(files, list) or not 1 <= len(files) <= MAX_MEDIA_GROUP:
            raise ControlError(400, f"files must list 1 to {MAX_MEDIA_GROUP} files")
        group_id = str(next(self._media_groups)) if len(files) > 1 else None
        sent = []
        for n, item in enumerate(files):
            try:
                content = base64.b64decode(str(item.get("data", "")), validate=True)
            except ValueError:
                raise ControlError(400, "a file's data must be base64") from None
            if not content:
                raise ControlError(400, "a file must be non-empty")
            stored = self._store_upload(bot, Upload(item.get("file_name") or ("photo.jpg" if item.get("kind") == "photo" else "document"),
                                                    item.get("mime_type"), content))
            if item.get("kind", "photo") == "photo":
                media: dict[str, Any] = {"photo": [{"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                                    "file_size": len(content), "width": 0, "height": 0}]}
            else:
                media = {"document": {**stored.document(), "mime_type": item.get("mime_type") or stored.mime_type}}
            if group_id is not None:
                media["media_group_id"] = group_id
            sent.append(self.user_sends(bot, {**data, "caption": data.get("caption") if n == 0 else None}, media))
        return {"messages": sent, "media_group_id": group_id}

    def start(self, bot: BotState, data: dict[str, Any]) -> dict[str, Any]:
        user = self._user(data.get("from", data.get("user_id")))
        chat = ChatRef(user.id, user=user)
        member_update_id = None
        if user.id in bot.blocked:
            bot.blocked.discard(user.id)
            member_update_id = self.queue_update(
                bot, "my_chat_member", self._member_update(chat, user.api(), bot.user(), "kicked", "member")
            )
        bot.started.add(user.id)
        payload = data.get("payload")
        result = self.user_sends(bot, {"from": user.id, "text": f"/start {payload}" if payload else "/start"})
        result["my_chat_member_update_id"] = member_update_id
        return result

    def block(self, bot: BotState, data: dict[str, Any]) -> dict[str, Any]:
        user = self._user(data.get("from", data.get("user_id")))
        if user.id in bot.blocked:
            return {"update_id": None}
        bot.blocked.add(user.id)
        chat = ChatRef(user.id, user=user)
        return {
            "update_id": self.queue_update(
                bot, "my_chat_member", self._member_update(chat, user.api(), bot.user(), "member", "kicked")
            )
        }

    def join(self, bot: BotState, data: dict[str, Any], joining: bool) -> dict[str, Any]:
        user = self._user(data.get("from", data.get("user_id")))
        group = self._group(data.get("chat_id"))
        chat = ChatRef(group.id, group=group)
        old = group.members.get(user.id, "left")
        if joining and old in PRESENT_STATUSES:
            raise ControlError(409, f"user {user.id} is already in group {group.id}")
        if not joining and old not in PRESENT_STATUSES:
            raise ControlError(409, f"user {user.id} is not in group {group.id}")
        new = "member" if joining else "left"
        group.members[user.id] = new
        member_update_id = None
        # Telegram sends chat_member updates only to administrators that asked for them.
        if group.members.get(bot.id) in ("administrator", "creator"):
            member_update_id = self.queue_update(
                bot, "chat_member", self._member_update(chat, user.api(), user.api(), old, new)
            )
        content = {"new_chat_members": [user.api()]} if joining else {"left_chat_member": user.api()}
        result = self._service_message(bot, chat, user, content)
        result["chat_member_update_id"] = member_update_id
        return result

    def press(self, bot: BotState, data: dict[str, Any]) -> dict[str, Any]:
        user = self._user(data.get("from", data.get("user_id")))
        chat = self._chat_for(user, data.get("chat_id"))
        try:
            message_id = int(data.get("message_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ControlError(400, "message_id must be an integer") from None
        message = self.find_message(bot, chat, message_id)
        if message is None:
            raise ControlError(404, f"message {message_id} not found in chat {chat.id}")
        wanted_data, wanted_text = data.get("data"), data.get("text")
        if data.get("force"):
            if not isinstance(wanted_data, str):
                raise ControlError(400, "force needs the callback data to send")
            callback_data = wanted_data
        else:
            buttons = [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
            match = next(
                (
                    b
                    for b in buttons
                    if (wanted_data is not None and b.get("callback_data") == wanted_data)
                    or (wanted_data is None and wanted_text is not None and b.get("text") == wanted_text)
                ),
                None,
            )
            if match is None:
                raise ControlError(
                    409,
                    f"message {message_id} has no inline button with data={wanted_data!r} text={wanted_text!r}; "
                    f"buttons: {buttons}",
                )
            if "callback_data" not in match:
                raise ControlError(409, f"button {match} sends no callback query")
            callback_data = match["callback_data"]
        self.callback_sequence += 1
        query_id = str(CALLBACK_ID_BASE + self.callback_sequence)
        query = {
            "id": query_id,
            "from": user.api(),
            "message": copy.deepcopy(message),
            "chat_instance": str((bot.id * 1_000_003 + chat.id * 7_919) & 0x7FFFFFFFFFFFFFFF),
            "data": callback_data,
        }
        bot.callback_queries[query_id] = {"query": query, "answered": False, "at": time.time()}
        return {
            "update_id": self.queue_update(bot, "callback_query", query),
            "callback_query_id": query_id,
            "callback_query": query,
        }

    def create_topic(self, bot: BotState, data: dict[str, Any]) -> dict[str, Any]:
        """A user (or, without ``from``, an anonymous administrator) opens a topic in a forum."""
        group = self._group(data.get("chat_id"))
        if not group.is_forum:
            raise ControlError(409, f"group {group.id} is not a forum; create it with is_forum=true")
        sender = ANONYMOUS_ADMIN
        if data.get("from") is not None:
            user = self._user(data["from"])
            if group.members.get(user.id) not in PRESENT_STATUSES:
                raise ControlError(409, f"user {user.id} is not a member of group {group.id}; POST /_emu/join first")
            sender = user.api()
        name = self._topic_name(data.get("name"))
        color = int(data.get("icon_color") or DEFAULT_TOPIC_COLOR)
        topic, message = self.open_topic(bot, group, dict(sender), name, color, data.get("icon_custom_emoji_id"))
        seen = self._group_sees(bot, group, message, service=True)
        update_id = self.queue_update(bot, "message", message) if seen else None
        return {**topic.api(), "update_id": update_id, "message": message}

    def answer_poll(self, bot: BotState, data: dict[str, Any]) -> dict[str, Any]:
        """A user votes in one of the bot's polls; an empty ``option_ids`` takes the vote back."""
        user = self._user(data.get("from", data.get("user_id")))
        state = bot.polls.get(str(data.get("poll_id")))
        if state is None:
            raise ControlError(404, f"the bot sent no poll {data.get('poll_id')!r}")
        poll = state["poll"]
        chat_id = state["chat_id"]
        group = self.groups.get(chat_id)
        allowed = user.id == chat_id if group is None else group.members.get(user.id) in PRESENT_STATUSES
        if not allowed:
            raise ControlError(409, f"user {user.id} can't see chat {chat_id}, where poll {poll['id']} is")
        if poll["is_closed"]:
            raise ControlError(409, f"poll {poll['id']} is closed")
        chosen = data.get("option_ids")
        if not isinstance(chosen, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in chosen):
            raise ControlError(400, "option_ids must be a list of option indexes")
        if not all(0 <= i < len(poll["options"]) for i in chosen) or len(set(chosen)) != len(chosen):
            raise ControlError(400, f"option_ids {chosen} must be distinct indexes below {len(poll['options'])}")
        if len(chosen) > 1 and not poll["allows_multiple_answers"]:
            raise ControlError(400, f"poll {poll['id']} takes one answer")
        previous = state["votes"].get(user.id, [])
        if not chosen and not previous:
            raise ControlError(409, f"user {user.id} has no vote to take back in poll {poll['id']}")
        if previous and not poll["allows_revoting"]:
            raise ControlError(409, f"poll {poll['id']} doesn't let voters change their answer")
        for index in previous:
            poll["options"][index]["voter_count"] -= 1
        for index in chosen:
            poll["options"][index]["voter_count"] += 1
        if chosen:
            state["votes"][user.id] = sorted(chosen)
        else:
            del state["votes"][user.id]
        poll["total_voter_count"] = len(state["votes"])
        answer_update_id = None
        if not poll["is_anonymous"]:
            answer = {
                "poll_id": poll["id"],
                "user": user.api(),
                "option_ids": sorted(chosen),
                "option_persistent_ids": [poll["options"][i]["persistent_id"] for i in sorted(chosen)],
            }
            answer_update_id = self.queue_update(bot, "poll_answer", answer)
        # Telegram tells a bot every new state of the polls it sent, anonymous or not.
        poll_update_id = self.queue_update(bot, "poll", poll)
        return {"poll_answer_update_id": answer_update_id, "poll_update_id": poll_update_id, "poll": poll}

    def _polls(self, bot: BotState) -> list[dict[str, Any]]:
        return [
            {
                "poll": state["poll"],
                "chat_id": state["chat_id"],
                "message_id": state["message_id"],
                "votes": {str(user_id): options for user_id, options in state["votes"].items()},
            }
            for state in bot.polls.values()
        ]

    def _document(self, bot: BotState, data: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(data.get("file_id")))
        if stored is None or stored.owner != bot.id:
            raise ControlError(404, f"the bot uploaded no file {data.get('file_id')!r}")
        return {**stored.document(), "file_path": stored.file_path, "data": base64.b64encode(stored.data).decode()}

    def _topics(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        group = self._group(data.get("chat_id"))
        return [{**topic.api(), "is_closed": topic.is_closed} for topic in group.topics.values()]

    def set_member(self, bot: BotState, data: dict[str, Any]) -> dict[str, Any]:
        group = self._group(data.get("chat_id"))
        status = data.get("status", "member")
        if status not in MEMBER_STATUSES:
            raise ControlError(400, f"status must be one of {sorted(MEMBER_STATUSES)}")
        subject = data.get("user_id")
        member_id = bot.id if data.get("bot") or subject == bot.id else self._user(subject).id
        group.members[member_id] = status
        return {"chat_id": group.id, "user_id": member_id, "status": status}

    def add_fault(self, bot: BotState, data: dict[str, Any]) -> list[dict[str, Any]]:
        method = str(data.get("method", "*"))
        count = int(data.get("count", 1))
        error_code = int(data.get("error_code", 429))
        retry_after = int(data.get("retry_after", 1))
        target = method if method == "*" else method.lower()
        if count <= 0:
            bot.faults = [f for f in bot.faults if f["method"] != target]
        else:
            description = data.get("description") or FAULT_DESCRIPTIONS.get(error_code, "Injected failure")
            bot.faults.append(
                {
                    "method": target,
                    "remaining": count,
                    "error_code": error_code,
                    "retry_after": retry_after,
                    "description": description,
                }
            )
        bot.faults = [f for f in bot.faults if f["remaining"] > 0]
        return bot.faults

    def stats(self, bot: BotState) -> dict[str, Any]:
        return {
            "calls": dict(bot.calls),
            "errors": dict(bot.errors),
            "too_many_requests": bot.too_many_requests,
            "dropped_updates": bot.dropped_updates,
            "pending_updates": len(bot.updates),
            "sent_messages": len(bot.sent),
            "webhook_deliveries": bot.webhook_deliveries,
            "limits": dataclasses.asdict(self.limits),
        }

    # ----------------------------------------------------------------------------- control routes

    def create_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_bot_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file_download)
        control: dict[tuple[str, str], Callable[[BotState, dict[str, Any]], Any]] = {
            ("POST", "users"): lambda bot, d: self.create_user(d).api(),
            ("POST", "groups"): self._group_result,
            ("POST", "members"): self.set_member,
            ("POST", "bot"): self._configure_bot,
            ("POST", "send"): self.user_sends,
            ("POST", "send_files"): self.user_sends_files,
            ("POST", "press"): self.press,
            ("POST", "topics"): self.create_topic,
            ("POST", "poll_answer"): self.answer_poll,
            ("POST", "start"): self.start,
            ("POST", "block"): self.block,
            ("POST", "join"): lambda bot, d: self.join(bot, d, joining=True),
            ("POST", "leave"): lambda bot, d: self.join(bot, d, joining=False),
            ("POST", "limits"): self._set_limits,
            ("POST", "fail"): lambda bot, d: {"faults": self.add_fault(bot, d)},
            ("POST", "reset"): lambda bot, d: self._reset_result(),
            ("GET", "sent"): lambda bot, d: [
                r for r in bot.sent if "chat_id" not in d or r["chat_id"] == int(d["chat_id"])
            ],
            ("GET", "messages"): lambda bot, d: self._chat_messages(bot, d),
            ("GET", "commands"): lambda bot, d: list(bot.commands.values()),
            ("GET", "callback_answers"): lambda bot, d: bot.callback_answers,
            ("GET", "actions"): lambda bot, d: [
                a for a in bot.chat_actions if "chat_id" not in d or a["chat_id"] == int(d["chat_id"])
            ],
            ("GET", "pending"): lambda bot, d: bot.updates,
            ("GET", "polls"): lambda bot, d: self._polls(bot),
            ("GET", "document"): self._document,
            ("GET", "topics"): lambda bot, d: self._topics(d),
            ("GET", "stats"): lambda bot, d: self.stats(bot),
            ("GET", "calls"): lambda bot, d: list(bot.call_log),
            ("GET", "health"): lambda bot, d: {"ok": True},
        }
        for (verb, name), action in control.items():
            app.router.add_route(verb, f"/_emu/{name}", self._control_handler(action))
        app.on_cleanup.append(lambda _app: self.shutdown())
        return app

    def _group_result(self, bot: BotState, data: dict[str, Any]) -> dict[str, Any]:
        group = self.create_group(bot, data)
        return {**group.api(), "members": {str(member): status for member, status in group.members.items()}}

    def _reset_result(self) -> dict[str, Any]:
        self.reset()
        return {"ok": True}

    def _configure_bot(self, bot: BotState, data: dict[str, Any]) -> dict[str, Any]:
        for name in ("username", "first_name"):
            if name in data:
                if not isinstance(data[name], str) or not data[name]:
                    raise ControlError(400, f"{name} must be a non-empty string")
                setattr(bot, name, data[name])
        for name in ("can_read_all_group_messages", "revoked"):
            if name in data:
                setattr(bot, name, bool(data[name]))
        return {**bot.me(), "revoked": bot.revoked}

    def _set_limits(self, bot: BotState, data: dict[str, Any]) -> dict[str, Any]:
        self.limits.update(data)
        for state in self.bots.values():
            # New limits start from a clean slate so a test sees exactly the numbers it set.
            state.rate = RateState()
        return dataclasses.asdict(self.limits)

    def _chat_messages(self, bot: BotState, data: dict[str, Any]) -> list[dict[str, Any]]:
        if "chat_id" not in data:
            raise ControlError(400, "chat_id is required")
        chat_id = int(data["chat_id"])
        key = ("private", bot.id, chat_id) if chat_id > 0 else ("group", chat_id)
        return list(self.messages.get(key, {}).values())

    def _control_handler(
        self, action: Callable[[BotState, dict[str, Any]], Any]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            data: dict[str, Any] = dict(request.query)
            if request.method == "POST" and request.can_read_body:
                try:
                    body = await request.json()
                except ValueError:
                    return web.json_response({"error": "the body must be a JSON object"}, status=400)
                if not isinstance(body, dict):
                    return web.json_response({"error": "the body must be a JSON object"}, status=400)
                data.update(body)
            token = str(data.pop("token", DEFAULT_TOKEN))
            if not TOKEN_RE.match(token):
                return web.json_response({"error": f"malformed bot token {token!r}"}, status=400)
            try:
                result = action(self.bot(token), data)
            except ControlError as error:
                return web.json_response({"error": error.message}, status=error.status)
            except ApiError as error:
                return web.json_response({"error": error.description}, status=400)
            except (TypeError, ValueError, KeyError) as error:
                return web.json_response({"error": f"bad control request: {error!r}"}, status=400)
            return web.json_response(result)

        return handler


async def _webhook_reply(response: aiohttp.ClientResponse, token: str) -> dict[str, Any] | None:
    """A method call the bot put in its webhook answer (JSON, or multipart like aiogram sends)."""
    try:
        return await _read_webhook_reply(response)
    except (ValueError, aiohttp.ClientError) as error:
        # Telegram only needs the 2xx; an unreadable answer is ignored like any other body.
        log.warning("ignoring an unreadable webhook answer for bot %s: %r", token.split(":")[0], error)
        return None


async def _read_webhook_reply(response: aiohttp.ClientResponse) -> dict[str, Any] | None:
    if response.content_type == "application/json":
        try:
            data = await response.json(content_type=None)
        except ValueError:
            return None
        return data if isinstance(data, dict) and data.get("method") else None
    if response.content_type.startswith("multipart/"):
        fields: dict[str, Any] = {}
        reader = aiohttp.MultipartReader.from_response(response)
        async for part in reader:
            if isinstance(part, aiohttp.BodyPartReader) and part.name:
                fields[part.name] = await part.text()
        return fields if fields.get("method") else None
    return None


# ------------------------------------------------------------------------------------------ entry points


async def start_server(
    host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None, default_username: str = DEFAULT_BOT_USERNAME
) -> tuple[web.AppRunner, int, Emulator]:
    """Run the emulator inside the current event loop; returns the runner (call ``cleanup()``), port and state."""
    emulator = Emulator(limits, default_username)
    runner = web.AppRunner(emulator.create_app(), handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, runner.addresses[0][1], emulator


async def _serve(args: argparse.Namespace) -> None:
    limits = Limits(
        enabled=not args.no_limits,
        global_rate=args.global_rate,
        chat_rate=args.chat_rate,
        chat_burst=args.chat_burst,
        group_per_minute=args.group_per_minute,
    )
    runner, port, _ = await start_server(args.host, args.port, limits, args.bot_username)
    print(f"READY {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Telegram Bot API emulator for tests and benchmarks")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port; READY <port> tells which")
    parser.add_argument("--global-rate", type=int, default=30, help="messages per second for the whole bot")
    parser.add_argument("--chat-rate", type=float, default=1.0, help="messages per second to one private chat")
    parser.add_argument("--chat-burst", type=int, default=3, help="quick messages a private chat tolerates")
    parser.add_argument("--group-per-minute", type=int, default=20, help="messages per minute to one group")
    parser.add_argument("--no-limits", action="store_true", help="start with rate limits off")
    parser.add_argument("--bot-username", default=DEFAULT_BOT_USERNAME)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
