"""Words that are no command, read for what they ask: the commands whose names and help match a how-to question
(stemmed, French and English: « comment publier une nouvelle ? » → /nouvelle), and the projects a text names."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.core.commands import Command, Registry, fold
from bot.core.i18n import Catalogs
from bot.services import search_text as st

# Words of how-to questions that say nothing of the task ("comment je fais pour…", "how do I…").
_ASKING = {"comment", "fair", "fais", "fait", "peux", "peut", "pourr", "veux", "voudr", "voudrai", "souhait", "aimerai",
           "faut", "quoi", "quel", "moyen", "how", "can", "do", "want", "would", "like", "way", "need", "what", "help", "aid",
           "est", "ce", "que", "qu", "relai", "relais", "command", "bot", "merci", "thank", "thanks", "please", "plait", "stp"}
_QUESTION = re.compile(r"\?|^\s*(?:comment|how|où|ou est|where|est-ce|peut-on|puis-je|can i|could i|is there|y a-t-il|"
                       r"je (?:voudrais|veux|souhaite|cherche)|i (?:want|would like|need)|quel(?:le)?s? commande|which command)\b",
                       re.IGNORECASE)
MIN_SCORE = 1.2  # below: no command is said to match


def asks_how(text: str) -> bool:
    """Whether the words read like a question (a question mark, "comment…", "how do I…")."""
    return bool(_QUESTION.search(text))


def _stems(text: str, lang: str) -> list[str]:
    """The text's word stems without accents, stop words and asking words left out."""
    return [fold(stem) for _, (stem, _) in st._words(text, lang) if fold(stem) not in _ASKING]


@dataclass
class _Index:
    docs: list[tuple[Command, Counter]]
    idf: dict[str, float]


class HowTo:
    """The index of the commands' words, built once per language from the registry and the catalogs."""

    def __init__(self, registry: Registry, catalogs: Catalogs):
        self.registry = registry
        self.catalogs = catalogs
        self._indexes: dict[str, _Index] = {}

    def _index(self, locale: str) -> _Index:
        found = self._indexes.get(locale)
        if found is None:
            t, lang = self.catalogs.get(locale), st.language(locale)
            docs = []
            for cmd in self.registry.commands:
                names = " ".join((cmd.name, *cmd.aliases.get(locale, ()))).replace("-", " ")
                words = Counter(_stems(names, lang) * 2 + _stems(t(cmd.help), lang))  # a name counts twice
                docs.append((cmd, words))
            df = Counter(stem for _, words in docs for stem in words)
            idf = {stem: math.log(1 + len(docs) / n) for stem, n in df.items()}
            found = self._indexes[locale] = _Index(docs, idf)
        return found

    def best(self, text: str, locale: str, allowed: Callable[[Command], bool], count: int = 3,
             ignore: Iterable[str] = ()) -> list[Command]:
        """Up to `count` commands the words ask for, best first (none when nothing matches well enough); `ignore`:
        words that say no task (the names of the community's projects)."""
        index = self._index(locale)
        lang = st.language(locale)
        asked = set(_stems(text, lang)) - {s for words in ignore for s in _stems(words, lang)}
        if not asked:
            return []
        scored = []
        for cmd, words in index.docs:
            if not allowed(cmd):
                continue
            score = sum(index.idf[s] * (1 + math.log(words[s])) for s in asked if s in words)
            if score >= MIN_SCORE:
                scored.append((-score, cmd.name, cmd))
        scored.sort(key=lambda row: row[:2])
        if not scored:
            return []
        top = -scored[0][0]
        return [cmd for score, _, cmd in scored[:count] if -score >= top * 0.6]


def named_projects(text: str, projects: Iterable[tuple[str, str]], locale: str) -> list[str]:
    """The slugs of the projects a text names: by slug, or by a distinctive word of the title (4 letters or more)."""
    lang = st.language(locale)
    folded = fold(text)
    words = set(_stems(text, lang))
    found = []
    for slug, title in projects:
        if re.search(rf"(?<![\w-]){re.escape(slug)}(?![\w-])", folded):
            found.append(slug)
            continue
        title_words = {s for s in _stems(title, lang) if len(s) >= 4}
        if title_words & words:
            found.append(slug)
    return found
