"""French typography and plurals, checked on every message of the catalog rendered with sample values: a narrow
no-break space before : ; ? ! and %, none in English; a count that names a thing goes through a plural message; and
no template writes a colon after a value itself (the catalog's « {label} : {value} » does it in the reader's language)."""

from __future__ import annotations

import re
import string
from pathlib import Path

from babel.messages.pofile import read_po

from bot.core.i18n import LOCALE_DIR, Catalogs

ROOT = Path(__file__).resolve().parents[2]
PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "relais.po"
NNBSP = "\u202f"
# Punctuation that closes a phrase (followed by a space, the end, or a closing mark): a narrow no-break space before it.
UNSPACED = re.compile(r"(?<!\u202f)[:;?!](?=[\s»”)\]]|$)|(?<=[\d}])%|[ \u00a0]%")
SPACED_IN_ENGLISH = re.compile(r"\s[:;?!](?=\s|$)|\u202f")
# Messages with a {count} that is never 1, or not followed by the thing it counts: the rest go through t.n().
NOT_A_PLURAL = {
    "A poll needs at least {count} options, each in quotes.",  # at least 2
    "A poll takes {count} options at most.",  # a limit, far above 1
    "At most {count} photos with one news item.",  # a limit, far above 1
    "A photo with it? Send it in your next message (up to {count}): it joins this news and goes to its followers.",  # a limit (4)
    "{label} {count}",  # a chart's label and its figure
    "Repayment schedule of {project}: {amount} a month from {first} to {last}; instalments: {count}.",  # a figure after a colon
    "Your approval of request {number} is counted: {count} of {needed}.",
    "{project} already has {count} documents: remove some first.",  # said at the limit
    "{project}: instalment {number} of {count} ({amount}) is due on {date}.",
    "Date {number} of {count}: ",
    "I read {count} commands in your mail: {done}, {failed}.",  # only said for 2 commands and more
    "Members who took part, week by week (% of {count})",
    "Opened {visits} times; {count} came through it.",
    "There is no item {number} to reply to: choose from 1 to {count}.",
    "You have proposed {count} ideas today: let them be supported before the next one.",  # said at the limit
    "You have written {count} messages in the last hour: wait a little before the next one.",  # said at the limit
    "Your word to the proposer and the {count} supporters of idea {number} (“{title}”): why not, or not now?",
    "if need be: {count}",
    "the places, now {count}",
}


def sample(*texts: str) -> dict[str, str]:
    """A sample value for each parameter of the messages (the count aside)."""
    names = {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}
    return {name: "Valeur" for name in names - {"count"}}


def catalog():
    with PO.open("rb") as fh:
        return read_po(fh, locale="fr")


def test_every_french_message_has_its_narrow_spaces_and_no_english_one_has_any():
    fr, en = Catalogs().get("fr"), Catalogs().get("en")
    wrong = []
    for message in catalog():
        if not message.id:
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        values = sample(*(message.id if isinstance(message.id, tuple) else [message.id]), *strings)
        if isinstance(message.id, tuple):
            outputs = [(fr.n(*message.id, n, **values), en.n(*message.id, n, **values)) for n in (1, 2)]
        else:
            values = {**values, "count": "2"} if "{count}" in message.id else values
            outputs = [(fr(message.id, **values), en(message.id, **values))]
        for french, english in outputs:
            for found in UNSPACED.finditer(french):
                wrong.append(f"fr: …{french[max(0, found.start() - 30):found.end() + 3]}…")
            for found in SPACED_IN_ENGLISH.finditer(english):
                wrong.append(f"en: …{english[max(0, found.start() - 30):found.end() + 3]}…")
    assert not wrong, "\n".join(wrong)


def test_a_count_of_things_goes_through_a_plural_message():
    singular_counts = sorted(str(m.id) for m in catalog() if isinstance(m.id, str) and "{count}" in m.id)
    assert [m for m in singular_counts if m not in NOT_A_PLURAL] == []


def test_the_french_plurals_agree_with_one_and_with_several():
    fr = Catalogs().get("fr")
    assert fr.n("{count} sent", "{count} sent", 1) == "1 envoyée" and fr.n("{count} sent", "{count} sent", 2) == "2 envoyées"
    assert fr.n("{count} project", "{count} projects", 1) == "1 projet"
    rounds = "Counts are first preferences; the winner is found by instant runoff ({count} round)."
    assert fr.n(rounds, rounds.replace("round)", "rounds)"), 1).endswith("(1 tour).")
    assert fr("less than an hour") == "moins d'une heure"


def test_no_template_puts_its_own_colon_after_a_value():
    """`{{ value }}: …` reads « valeur: » in French; the catalog's « {label}: {value} » is typeset per language."""
    wrong = []
    for folder in (ROOT / "mail" / "templates", ROOT / "bot" / "adapters" / "templates"):
        for path in folder.rglob("*"):
            if path.is_file():
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if re.search(r"\}\}\s?[:?!](\s|$)", line):  # (`;` ends CSS declarations)
                        wrong.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    assert not wrong, "\n".join(wrong)


def test_a_decimal_number_is_written_the_languages_way():
    message = "“{name}” is too large: {size} MB, at most {limit} MB."
    assert Catalogs().get("fr")(message, name="plan.pdf", size=21.5, limit=20) == "« plan.pdf » est trop volumineux\u202f: 21,5 Mo, 20 Mo au plus."
    assert Catalogs().get("en")(message, name="plan.pdf", size=21.5, limit=20) == "“plan.pdf” is too large: 21.5 MB, at most 20 MB."
