"""What an erased person leaves outside their own rows, and wiping it: their name in other people's notifications (sent or
waiting) and console notes, their accounts in stored choices and handled events. Files (mail written to disk, a console's
saved attachments) are wiped by the channels that wrote them (`MyData.erasers`)."""

from __future__ import annotations

import json
import re
from typing import Callable

from bot.core.sql import fetch
from models import Account, ChoiceSet, ConsoleInbox, InboundEvent, OutboxMessage


def _named(name: str) -> re.Pattern | None:
    """The person's name as a whole word (never inside another word), when it is long enough to be one."""
    name = name.strip()
    if len(name) < 2:
        return None
    return re.compile(r"(?<![\w@])" + re.escape(name) + r"(?![\w])")


def _needles(text: str) -> list[str]:
    """How a text may be written inside a JSON column: as it is, or with its non-ASCII letters escaped."""
    return list(dict.fromkeys([text, json.dumps(text)[1:-1]]))


async def _ids(table: str, column: str, texts: list[str], extra: str = "") -> list[int]:
    """Rows whose column (JSON or text, read as text) contains one of the texts: the candidates, checked in Python."""
    needles = [n for t in texts for n in _needles(t)]
    if not needles:
        return []
    where = " OR ".join(f'CAST("{column}" AS TEXT) LIKE ?' for _ in needles)
    rows = await fetch(f'SELECT "id" FROM "{table}" WHERE ({where}){extra}', [f"%{_like(n)}%" for n in needles])
    return [int(r[0]) for r in rows]


def _like(text: str) -> str:
    return text.replace("%", "").replace("_", "")[:200] or "\x01"


async def scrub(tx, name: str, accounts: list[Account], former: Callable[[int | None], str]) -> dict[str, int]:
    """Wipe the traces in one transaction; `former(community id)` is "a former member" in that community's language."""
    counts = {"notifications": 0, "notes": 0, "choices": 0, "events": 0}
    pattern = _named(name)
    if pattern is not None:
        for row in await OutboxMessage.filter(id__in=await _ids("outbox_message", "payload", [name.strip()])).using_db(tx):
            text = json.dumps(row.payload, ensure_ascii=False)
            replaced = pattern.sub(json.dumps(former(row.community_id), ensure_ascii=False)[1:-1], text)
            if replaced != text:
                await OutboxMessage.filter(id=row.id).using_db(tx).update(payload=json.loads(replaced))
                counts["notifications"] += 1
        for note in await ConsoleInbox.filter(id__in=await _ids("console_inbox", "text", [name.strip()])).using_db(tx):
            replaced = pattern.sub(former(None), note.text)
            if replaced != note.text:
                await ConsoleInbox.filter(id=note.id).using_db(tx).update(text=replaced)
                counts["notes"] += 1
    handles = [a.handle for a in accounts] + [a.address for a in accounts if len(a.address) >= 3]
    named = [name.strip()] if pattern is not None else []
    # A stored choice naming their account or them (`unblock telegram:42`, `question x <what they wrote>`): its buttons
    # and links stop working, which is what erasing means.
    for choice_set in await ChoiceSet.filter(id__in=await _ids("choice_set", "choices", handles + named)).using_db(tx):
        text = json.dumps(choice_set.choices, ensure_ascii=False)
        if any(h in text for h in handles) or (pattern is not None and pattern.search(text)):
            await ChoiceSet.filter(id=choice_set.id).using_db(tx).delete()
            counts["choices"] += 1
    # Their past commands, handled: what they wrote and from where goes (a parked one stays for an operator to see).
    done = await _ids("inbound_event", "payload", handles, " AND \"status\" = 'done'")
    counts["events"] = await InboundEvent.filter(id__in=done).using_db(tx).delete() if done else 0
    return counts
