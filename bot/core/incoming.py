"""The platform-neutral message that every adapter hands to the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum


class Origin(StrEnum):
    TYPED = "typed"
    BUTTON = "button"
    EMAIL = "email"
    LINK = "link"


@dataclass(frozen=True)
class Upload:
    """A file that came with the message (a photo, a document), as the platform gave it: its name is only a label."""

    filename: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Incoming:
    """Who said what, where: `chat` is the group, room or list (None for a direct chat)."""

    platform: str
    address: str
    text: str
    display_name: str = ""
    chat: str | None = None
    locale: str | None = None
    origin: Origin = Origin.TYPED
    addressed: bool = False
    message_id: str | None = None
    thread: str | None = None  # the topic of a forum group it was written in (answers go there)
    # The message(s) of Relais this one replies to, as the platform names them (`telegram:<chat>/<id>`, an event id,
    # a Message-ID and the References of a mail, nearest first): a reply to what Relais posted is a comment on it.
    replying_to: tuple[str, ...] = ()
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    files: tuple[Upload, ...] = ()  # photos and documents sent with it (a photo's caption is the text)

    @property
    def direct(self) -> bool:
        return self.chat is None

    @property
    def handle(self) -> str:
        return f"{self.platform}:{self.address}"
