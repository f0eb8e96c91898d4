"""Members' skills as free words (`skills menuiserie, mairie, anglais`), kept as written and as stems: each word gives
its French and its English snowball stem (bot/services/search_text.py), without accents and cut to 6 letters, so that
« menuiserie » meets « un·e menuisier·e » and "carpentry" meets "carpenter"; a need is matched on the same stems."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Callable

from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.sql import execute_many
from bot.services.search_text import STOP, analysed, fold
from models import Person, Skill, SkillTerm

TERM = 6  # letters of a stem kept: menuisier → menuisi, menuiserie → menuiser, both « menuis »
MAX_TEXT = 500
MAX_TERMS = 40
_WORD = re.compile(r"[^\W_]+")


def terms(text: str) -> list[str]:
    """The stems a text is matched on, each once, in the order of its words: French and English stems of every word
    that is a stop word in neither language, cut to TERM letters (3 letters at least)."""
    out: dict[str, None] = {}
    for word in _WORD.findall(unicodedata.normalize("NFC", text).lower()):
        if fold(word) in STOP["french"] or word in STOP["english"]:  # a stop word in either language matches nothing
            continue
        for lang in ("french", "english"):
            found = analysed(word, lang)
            if found is None:
                continue
            term = fold(found[0])[:TERM]
            if len(term) >= 3 and not term.isdigit():
                out[term] = None
    return list(out)


class Skills:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock

    async def of(self, person: Person) -> Skill | None:
        return await Skill.get_or_none(person_id=person.id)

    async def set(self, person: Person, text: str) -> list[str]:
        """Replace the person's skills; returns their stems."""
        text = " ".join(text.split())
        if len(text) > MAX_TEXT:
            raise UserError(N_("That is too long: at most {limit} characters."), limit=MAX_TEXT)
        found = terms(text)[:MAX_TERMS]
        if not found:
            raise UserError(N_("I found no word to match in that: say what you can do, like /skills carpentry, the town hall."))
        async with in_transaction() as conn:
            await SkillTerm.filter(person_id=person.id).using_db(conn).delete()
            await Skill.filter(person_id=person.id).using_db(conn).delete()
            await Skill.create(person_id=person.id, text=text, updated_at=self.clock(), using_db=conn)
            await execute_many('INSERT INTO "skill_term" ("person_id", "term") VALUES (?, ?)', [[person.id, t] for t in found], conn)
        return found

    async def clear(self, person: Person) -> bool:
        async with in_transaction() as conn:
            await SkillTerm.filter(person_id=person.id).using_db(conn).delete()
            return await Skill.filter(person_id=person.id).using_db(conn).delete() > 0
