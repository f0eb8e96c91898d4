"""Invitations addressed to their reader: an `.ics` with METHOD:REQUEST or CANCEL (iTIP, RFC 5546) names its attendee,
the person the mail goes to, and its MIME type says the method, so that mail clients show it as an invitation."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.core.replies import Attachment, Reply

ITIP = ("REQUEST", "CANCEL")
_METHOD = re.compile(rb"^METHOD:([A-Z-]+)\r?$", re.MULTILINE)


def method_of(item: Attachment) -> str:
    """The iTIP method of a calendar attachment ("" for a feed or any other file)."""
    if item.mime != "text/calendar":
        return ""
    found = _METHOD.search(item.data)
    return found.group(1).decode() if found else ""


def addressed(reply: Reply, address: str, name: str = "") -> Reply:
    """The reply with each invitation naming `address` as its attendee (not asked to answer by mail: Relais takes
    `coming` / `not coming`)."""
    if not any(isinstance(b, Attachment) and method_of(b) in ITIP for b in reply.blocks):
        return reply
    blocks = []
    for block in reply.blocks:
        if isinstance(block, Attachment) and method_of(block) in ITIP:
            from icalendar import Calendar, vCalAddress  # imported when an invitation goes by mail

            cal = Calendar.from_ical(block.data)
            for event in cal.walk("VEVENT"):
                attendee = vCalAddress(f"mailto:{address}")
                if name:
                    attendee.params["CN"] = " ".join(name.split())
                attendee.params.update({"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"})
                event.add("attendee", attendee)
            block = replace(block, data=cal.to_ical())
        blocks.append(block)
    return Reply(blocks=blocks, choices=list(reply.choices), error=reply.error, sensitive=reply.sensitive)
