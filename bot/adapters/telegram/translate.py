"""Pure reading of Telegram updates (raw Bot API JSON): which ones concern Relais, and the Incoming of a message."""

from __future__ import annotations

from bot.core.incoming import Incoming
from bot.core.parser import split_line

PLATFORM = "telegram"
# chat_member is opt-in on Telegram, and reaches only bots that are administrators of the group; poll_answer
# comes for the bot's non-anonymous polls (a vote in a native poll).
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member", "chat_member", "poll_answer"]


def display_name(user: dict) -> str:
    return " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p) or str(user.get("id", ""))


def entity_text(text: str, entity: dict) -> str:
    """The text an entity covers (Telegram counts offsets in UTF-16 code units)."""
    encoded = text.encode("utf-16-le")
    start, end = entity["offset"] * 2, (entity["offset"] + entity["length"]) * 2
    return encoded[start:end].decode("utf-16-le", "replace")


def thread_of(message: dict) -> int | None:
    """The forum topic a message is in (None: the chat itself, or a forum's General topic)."""
    return message.get("message_thread_id") if message.get("is_topic_message") else None


def message_incoming(message: dict, me: dict) -> Incoming | None:
    """The Incoming for a text message, or None when it is not for Relais (chatter, `/cmd@otherbot`)."""
    caption = not message.get("text")  # a photo's or a document's caption is its line (`/nouvelle projet texte`)
    text, user = message.get("caption" if caption else "text") or "", message.get("from")
    # Files with no words (what a question asked for); of an album, only the message its others were joined to.
    alone = not text and bool(message.get("photo") or message.get("document")) and (not message.get("media_group_id") or ALBUM in message)
    if not (text or alone) or not user or user.get("is_bot"):
        return None
    username = (me.get("username") or "").lower()
    group = message["chat"]["type"] != "private"
    addressed = False
    entities = message.get("caption_entities" if caption else "entities") or []
    first = entities[0] if entities else None
    if first is not None and first["type"] == "bot_command" and first["offset"] == 0:
        _, _, addressee = entity_text(text, first).partition("@")
        if addressee and addressee.lower() != username:
            return None  # Telegram marks it as a command for another bot
    # A mention of the bot addresses it and is removed from the text (offsets count UTF-16 units).
    encoded = text.encode("utf-16-le")
    for entity in sorted(entities, key=lambda e: -e["offset"]):
        if entity["type"] == "mention" and entity_text(text, entity).lower() == "@" + username:
            encoded = encoded[:entity["offset"] * 2] + encoded[(entity["offset"] + entity["length"]) * 2:]
            addressed = True
    text = " ".join(encoded.decode("utf-16-le").split(" ")).strip()
    replied = message.get("reply_to_message")
    thread = thread_of(message)
    replying_to: tuple[str, ...] = ()
    # In a forum, a topic's messages "reply" to the topic's first message: only a real reply to Relais addresses it.
    if replied and (replied.get("from") or {}).get("id") == me.get("id") and replied.get("message_id") != thread:
        addressed = True
        replying_to = (message_ref(message["chat"]["id"], replied["message_id"]),)
    if group and not addressed:
        line = split_line(text)
        if line is None or not line.prefixed:
            return None  # group chatter is none of Relais' business (and is not stored)
    if not text and not alone:
        return None
    return Incoming(platform=PLATFORM, address=str(user["id"]), text=text, display_name=display_name(user),
                    chat=str(message["chat"]["id"]) if group else None, locale=user.get("language_code"),
                    addressed=addressed, message_id=str(message["message_id"]),
                    thread=str(thread) if thread is not None else None, replying_to=replying_to)


def message_ref(chat: int | str, message_id: int | str) -> str:
    """A message as Relais names it (Telegram numbers messages per chat): `<chat id>/<message id>`."""
    return f"{chat}/{message_id}"


def chat_of(update: dict) -> int | None:
    """The chat an update is about: its handling is ordered with the other updates of that chat."""
    if "message" in update:
        return update["message"]["chat"]["id"]
    if "callback_query" in update:
        query = update["callback_query"]
        return query["message"]["chat"]["id"] if query.get("message") else query["from"]["id"]
    answer = update.get("poll_answer")
    if answer is not None:  # ordered with the voter's private chat, where the answer to a vote goes
        return (answer.get("user") or answer.get("voter_chat") or {}).get("id")
    member = update.get("my_chat_member") or update.get("chat_member")
    return member["chat"]["id"] if member else None


def relevant(update: dict, me: dict) -> bool:
    """Whether Relais has anything to do with the update (only those are stored)."""
    message = update.get("message")
    if message is not None:
        if message.get("media_group_id") and (message.get("photo") or message.get("document")):
            return not (message.get("from") or {}).get("is_bot")  # an album's file: its caption may be on another
        return bool(message.get("new_chat_members") or message.get("migrate_to_chat_id") or message_incoming(message, me))
    return any(kind in update for kind in ("callback_query", "my_chat_member", "chat_member", "poll_answer"))


ALBUM = "relais_album"  # the other files of an album, joined to the message that speaks for it


def file_refs(message: dict) -> list[dict]:
    """The files a message brings (a photo's largest size, a document), its album's others after it: `file_id` and
    `name`, to fetch with getFile."""
    refs = []
    if message.get("photo"):
        refs.append({"file_id": message["photo"][-1]["file_id"], "name": "photo.jpg"})
    elif isinstance(message.get("document"), dict):
        document = message["document"]
        refs.append({"file_id": document["file_id"], "name": str(document.get("file_name") or "document")[:200]})
    return refs + list(message.get(ALBUM) or [])


def album_speaker(parts: list[dict]) -> dict:
    """Of an album's messages (one per file, sharing a `media_group_id`), the one that speaks for it: the captioned one
    (the command), else the first."""
    ordered = sorted(parts, key=lambda m: m["message_id"])
    return next((m for m in ordered if m.get("caption")), ordered[0])
