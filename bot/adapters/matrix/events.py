"""Pure reading of Matrix events: the sync filter, which events become work, history cut-off, mentions."""

from __future__ import annotations

import hashlib
import re
from typing import Iterable

from bot.adapters.matrix.polls import POLL_START, RESPONSE_TYPES, response_answers
from bot.adapters.matrix.render import keycap_number
from bot.runtime.inbox import Event

PLATFORM = "matrix"
# Synapse sends 10 timeline events per room by default and marks the rest `limited`; a large limit makes
# gaps rare, and the adapter fetches the rest of a gap with /messages anyway.
TIMELINE_LIMIT = 100
# Poll starts too: Relais' own, coming back with their transaction id, bind the poll's row before any answer to it.
TYPES = ["m.room.message", "m.reaction", "m.room.member", "m.room.encryption", "m.room.encrypted", *RESPONSE_TYPES, POLL_START]
NOTHING = {"not_types": ["*"]}
MEDIA = ("m.image", "m.file")  # what a member sends a photo or a document as


def sync_filter(timeline_limit: int = TIMELINE_LIMIT) -> dict:
    """The room part of the sync filter: only the events Relais acts on, members loaded lazily."""
    return {
        "timeline": {"limit": timeline_limit, "types": TYPES},
        "state": {"lazy_load_members": True, "types": ["m.room.member", "m.room.encryption"]},
        "ephemeral": NOTHING,
        "account_data": NOTHING,
    }


def gap_filter() -> dict:
    """The /messages filter used to fetch what a `limited` sync left out."""
    return {"types": TYPES, "lazy_load_members": False}


def job(key: str, room_id: str, kind: str, data: dict) -> Event:
    """One thing to do for one room (kind: message, reaction, poll_response, invite, encrypted, member_left), stored in the
    inbox before the sync token moves on; a room's events are handled in order."""
    return Event(key, f"matrix:{room_id}", {"kind": kind, "room_id": room_id, **data})


def event_key(*parts: str) -> str:
    """The InboundEvent key; long Matrix ids (up to 255 characters) are hashed to fit."""
    key = ":".join((PLATFORM, *parts))
    return key if len(key) <= 190 else f"{PLATFORM}:h:{hashlib.sha256(key.encode()).hexdigest()}"


def txn_id(*parts: str) -> str:
    """A transaction id derived from what caused the send: sending it again is deduplicated by the homeserver."""
    return "relais-" + hashlib.sha256(":".join(parts).encode()).hexdigest()[:40]


def is_own_join(event: dict, me: str) -> bool:
    """The bot's membership turning to join (not a profile change while already joined)."""
    if event.get("type") != "m.room.member" or event.get("state_key") != me:
        return False
    previous = ((event.get("unsigned") or {}).get("prev_content") or {}).get("membership")
    return (event.get("content") or {}).get("membership") == "join" and previous != "join"


def after_own_join(events: list[dict], me: str) -> tuple[list[dict], bool]:
    """The events after the bot's last join in `events` (history before it is ignored), and whether one was found."""
    for i in range(len(events) - 1, -1, -1):
        if is_own_join(events[i], me):
            return events[i + 1:], True
    return events, False


def job_from_event(room_id: str, event: dict, me: str, display_name: str = "") -> Event | None:
    """The work an event of a joined room asks for, or None when Relais has nothing to do with it."""
    kind, sender, event_id = event.get("type"), event.get("sender", ""), event.get("event_id", "")
    content = event.get("content") or {}
    if not event_id or (sender == me and kind != "m.room.member"):
        return None
    rel = content.get("m.relates_to") or {}
    if kind == "m.room.message":
        # m.notice is what bots send: never answered, so two bots cannot loop; edits would run a command twice.
        media = media_of(content)  # a photo or a document: its caption is the line (`!nouvelle projet texte`)
        if (content.get("msgtype") != "m.text" and media is None) or rel.get("rel_type") == "m.replace" \
                or not isinstance(content.get("body"), str):
            return None
        mentions = (content.get("m.mentions") or {}).get("user_ids") or []
        replied = (rel.get("m.in_reply_to") or {}).get("event_id")
        data = {"event_id": event_id, "sender": sender, "name": display_name,
                "body": caption_of(content) if media is not None else content["body"],
                "mentioned": me in mentions, "thread": rel.get("event_id") if rel.get("rel_type") == "m.thread" else None,
                "reply": bool(rel.get("m.in_reply_to")), "in_reply_to": replied if isinstance(replied, str) else None}
        if media is not None:
            data["media"] = media
        return job(event_key(event_id), room_id, "message", data)
    if kind == "m.reaction":
        number = keycap_number(rel.get("key", "")) if rel.get("rel_type") == "m.annotation" else None
        if number is None or not rel.get("event_id"):
            return None
        data = {"event_id": event_id, "sender": sender, "name": display_name, "target": rel["event_id"], "number": number}
        return job(event_key(event_id), room_id, "reaction", data)
    if kind in RESPONSE_TYPES:  # an answer to a poll (Relais' own or not: the adapter looks the poll up)
        if rel.get("rel_type") != "m.reference" or not isinstance(rel.get("event_id"), str):
            return None
        data = {"event_id": event_id, "sender": sender, "name": display_name, "target": rel["event_id"],
                "answers": response_answers(content)}
        return job(event_key(event_id), room_id, "poll_response", data)
    if kind in ("m.room.encryption", "m.room.encrypted"):  # turned on, or a message nio could not decrypt
        data = {"event_id": event_id, "sender": sender, "type": kind, "session_id": str(content.get("session_id") or "")}
        if kind == "m.room.encrypted":  # what a key request names (no ciphertext kept: it is of no use once handled)
            data["source"] = {k: event[k] for k in ("event_id", "sender", "origin_server_ts", "type", "room_id") if k in event}
            data["source"]["content"] = {k: content[k] for k in ("algorithm", "sender_key", "session_id", "device_id")
                                         if k in content} | {"ciphertext": ""}
        return job(event_key(event_id), room_id, "encrypted", data)
    if kind == "m.room.member" and event.get("state_key") not in (None, me) and content.get("membership") in ("leave", "ban"):
        return job(event_key(event_id), room_id, "member_left", {"event_id": event_id, "user": event["state_key"]})
    return None


def invite_job(room_id: str, stripped: list[dict], me: str, batch: str) -> Event | None:
    """The invitation of the bot found in a room's stripped invite state."""
    invite = next((e for e in stripped if e.get("type") == "m.room.member" and e.get("state_key") == me
                   and (e.get("content") or {}).get("membership") == "invite"), None)
    if invite is None:
        return None
    encrypted = any(e.get("type") == "m.room.encryption" for e in stripped)
    data = {"inviter": invite.get("sender", ""), "direct": bool((invite.get("content") or {}).get("is_direct")),
            "encrypted": encrypted}
    return job(event_key("invite", room_id, batch), room_id, "invite", data)


def replying_to(data: dict) -> tuple[str, ...]:
    """The events a message replies to, nearest first: the one it quotes, then its thread's root."""
    refs = [data.get("in_reply_to"), data.get("thread")]
    return tuple(dict.fromkeys(r for r in refs if isinstance(r, str) and r))


def strip_reply_fallback(body: str) -> str:
    """Older clients quote the message replied to as `> ...` lines before the text: drop them."""
    if not body.startswith(">"):
        return body
    lines = body.split("\n")
    i = 0
    while i < len(lines) and lines[i].startswith(">"):
        i += 1
    return "\n".join(lines[i:]).lstrip("\n")


def strip_mention(body: str, names: Iterable[str], mentioned: bool) -> tuple[str, bool]:
    """(text without a leading mention of the bot, whether the bot was addressed).

    Element writes a mention as `Name: text` and lists the bot in m.mentions; a full user id or a name followed
    by `:` or `,` counts as a mention even without m.mentions (other clients, typed by hand).
    """
    text = body.strip()
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        m = re.match(re.escape(name) + r"(?P<sep>[:,]|\s|$)", text, flags=re.IGNORECASE)
        if m and (m.group("sep") in (":", ",") or mentioned or name.startswith("@")):
            return text[m.end():].strip(), True
    return text, mentioned


def media_of(content: dict) -> dict | None:
    """What a member's m.image / m.file event says of its file (kept with the inbox event), or None."""
    if content.get("msgtype") not in MEDIA:
        return None
    sealed = content.get("file") if isinstance(content.get("file"), dict) else None
    url = (sealed or {}).get("url") if sealed else content.get("url")
    if not isinstance(url, str) or not url.startswith("mxc://"):
        return None
    name = content.get("filename") if isinstance(content.get("filename"), str) else ""
    media: dict = {"url": url, "filename": (name or str(content.get("body") or ""))[:200]}
    if sealed:
        media["file"] = {k: sealed.get(k) for k in ("key", "iv", "hashes")}
    return media


def caption_of(content: dict) -> str:
    """A media event's caption: its body when a `filename` is given apart (Matrix 1.10); a body that is only the file's
    name is no caption."""
    body, name = content.get("body"), content.get("filename")
    if not isinstance(body, str) or not isinstance(name, str) or not name or body == name:
        return ""
    return body
