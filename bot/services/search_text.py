"""What the search indexes and asks for: words, their snowball stems (French or English, by the community's language)
and the beginnings of those stems, stop words left out.

Neither engine stems French by itself the way the seeds need: SQLite's FTS5 has only an English Porter stemmer, and no
stemmer makes `brasser` (stem `brass`) find `brassin` or `brasserie` (stem `brasser`). So every indexed word gives
its stem and the beginnings of its stem without accents, from 5 to 8 letters (`brassin` → brassin, brass, brassi); a
searched word is looked up by the beginning of its stem (`brasser` → brass), which is one exact token on both engines:
no prefix scan, whose cost grows with the vocabulary. Stems shorter than 5 letters only find themselves.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

PREFIX_MIN, PREFIX_MAX = 5, 8
MAX_WORDS = 6  # words of a query that count; the rest is ignored
_WORD = re.compile(r"[^\W_]+")

_FRENCH = """
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur leurs lui ma mais me même mes moi mon ne nos
notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous à été étée étées
étés étant suis es est sommes êtes sont serai seras sera serons serez seront serais serait serions seriez seraient étais
était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez soient ayant eu eue eues eus ai as avons
avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient
eut eûmes eûtes eurent aie aies ait ayons ayez aient ceci cela cet cette ici quel quels quelle quelles sans soi comme
plus tout tous toute toutes très aussi donc alors si où dont sous chez entre vers car ni cet celle celui ceux
"""
_ENGLISH = """
me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its
itself they them their theirs themselves what which who whom this that these those am is are was were be been being
have has had having do does did doing would should could ought an the and but if or because as until while of at by for
with about against between into through during before after above below to from up down in out on off over under again
further then once here there when where why how all any both each few more most other some such no nor not only own same
so than too very can will just
"""


def fold(text: str) -> str:
    """Lower-case without accents: `Réunion` → `reunion`."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


STOP = {"french": frozenset(fold(w) for w in _FRENCH.split()), "english": frozenset(_ENGLISH.split())}


def language(locale: str | None) -> str:
    """The stemmer and PostgreSQL text search configuration of a community's language."""
    return "french" if (locale or "").lower().startswith("fr") else "english"


@lru_cache(maxsize=4)
def _stemmer(lang: str) -> Stemmer.Stemmer:  # a pure function object
    return Stemmer.Stemmer(lang)


def beginnings(stem: str) -> tuple[str, ...]:
    """The stem without accents, cut to 5…8 letters (a short stem as it is)."""
    folded = fold(stem)
    if len(folded) <= PREFIX_MIN:
        return (folded,)
    return tuple(folded[:n] for n in range(PREFIX_MIN, min(len(folded), PREFIX_MAX) + 1))


Analysed = tuple[str, tuple[str, ...]]  # a word's stem, and the beginnings of its stem
_SEEN: dict[str, dict[str, Analysed | None]] = {"french": {}, "english": {}}
SEEN_MAX = 200_000  # words remembered per language: a community's vocabulary is far smaller


def analysed(word: str, lang: str) -> Analysed | None:
    """A lower-case word's stem and the beginnings of its stem; None for a stop word or a lone letter (a lone digit
    counts). Each word is analysed once: indexing 1,000,000 posts spent 150 s here without it (bench/search.py)."""
    seen = _SEEN[lang]
    if word in seen:
        return seen[word]
    if len(seen) >= SEEN_MAX:
        seen.clear()
    result = None
    if (len(word) > 1 or word.isdigit()) and fold(word) not in STOP[lang]:
        stem = _stemmer(lang).stemWord(word)
        result = (stem, beginnings(stem))
    seen[word] = result
    return result


def _words(text: str, lang: str) -> list[tuple[str, Analysed]]:
    seen, out = _SEEN[lang], []
    for word in _WORD.findall(unicodedata.normalize("NFC", text).lower()):  # "é" typed as e + accent is one letter
        found = seen[word] if word in seen else analysed(word, lang)
        if found is not None:
            out.append((word, found))
    return out


def terms(text: str, lang: str) -> list[str]:
    """The tokens indexed for a text: each word's stem, then the beginnings of its stem (the stem itself once)."""
    out: list[str] = []
    for _, (stem, begins) in _words(text, lang):
        out.append(stem)
        out.extend(b for b in begins if b != stem)
    return out


def lexemes(text: str, lang: str) -> list[str]:
    """The beginnings of a text's stems, each once: what PostgreSQL adds to its own stems (`array_to_tsvector`)."""
    out: dict[str, None] = {}
    for _, (_, begins) in _words(text, lang):
        for b in begins:
            out[b] = None
    return list(out)


@dataclass(frozen=True)
class Term:
    """A searched word: as typed (PostgreSQL stems it itself), its stem, and the beginning it is looked up by."""

    word: str
    stem: str
    key: str


def query_terms(text: str, lang: str) -> list[Term]:
    """The words a search looks for (all of them must be found), at most MAX_WORDS, each once."""
    found: dict[str, Term] = {}
    for word, (stem, begins) in _words(text, lang):
        if begins[-1] not in found and len(found) < MAX_WORDS:
            found[begins[-1]] = Term(word, stem, begins[-1])
    return list(found.values())


def fts_match(found: list[Term], community_id: int, staff: bool) -> str:
    """An FTS5 query: this community's items (and the staff's when allowed) having every term. The tokens are
    letters and digits only, so quoting them is enough."""
    scope = f'scope:"c{community_id}"' + ("" if staff else ' AND scope:"all"')
    wanted = " AND ".join(f'("{t.key}" OR "{t.stem}")' if fold(t.stem) != t.key else f'"{t.key}"' for t in found)
    return f"{scope} AND {{title body context}}:({wanted})"


def scope_of(community_id: int, staff: bool) -> str:
    """The FTS5 `scope` column of an item: its community, and whether everyone may find it."""
    return f"c{community_id} {'staff' if staff else 'all'}"


def excerpt(text: str, size: int = 140) -> str:
    """The start of a text on one line, cut at a word with an ellipsis when longer than `size`."""
    flat = " ".join(text.split())
    if len(flat) <= size:
        return flat
    cut = flat[:size].rsplit(" ", 1)[0]
    return (cut if len(cut) > size // 2 else flat[:size]).rstrip(" ,;:.—-") + "…"
