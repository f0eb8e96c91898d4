"""The digest's "questions answered" section: the questions published this week with their answers (both the referent's
act and the asker's consent), the reader's followed projects first."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.i18n import N_
from bot.core.sql import fetch
from bot.services.digest import Provider, Recipient, Section, Week, n


@dataclass
class Answered:
    project_id: int
    title: str
    asker: str  # "" when the asker chose to stay anonymous (shown as « un·e membre »)
    question: str
    answer: str


class QuestionsAnswered:
    key = "qa"

    async def prepare(self, week: Week, shared: dict) -> list[Answered]:
        rows = await fetch('SELECT c."project_id", p."title", CASE WHEN c."consent" = ? THEN a."display_name" ELSE \'\' END, c."text", '
                           'c."answer" FROM "comment" c JOIN "project" p ON p."id" = c."project_id" '
                           'LEFT JOIN "person" a ON a."id" = c."author_id" WHERE c."community_id" = ? AND c."published_at" >= ? '
                           'AND c."published_at" < ? AND c."hidden_at" IS NULL ORDER BY c."published_at", c."id"',
                           ["name", week.community.id, week.start, week.end])
        return [Answered(int(pid), str(title), str(asker or ""), str(question), str(answer)) for pid, title, asker, question, answer in rows]

    def section(self, state: list[Answered], r: Recipient) -> Section | None:
        if not state:
            return None
        shown = sorted(state, key=lambda a: a.project_id not in r.follows)  # stable: the week's order otherwise
        return Section(self.key, N_("Questions answered"), True, shown, "qa",
                       highlights=n("{count} question answered", "{count} questions answered", len(shown)))


def with_questions(providers: list[Provider]) -> list[Provider]:
    """The digest's sections with this one after the week's news and votes, before the community's other projects."""
    out = list(providers)
    keys = [p.key for p in out]
    at = keys.index("others") if "others" in keys else len(out)
    return [*out[:at], QuestionsAnswered(), *out[at:]]
