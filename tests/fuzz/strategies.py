"""Command lines built from the registry (every command, its names in both languages, with or without a prefix) with
well-formed and hostile arguments, and raw mails with odd headers, encodings and sizes."""

from __future__ import annotations

from hypothesis import strategies as st

from bot.core.commands import Registry
from bot.handlers import MODULES

REGISTRY = Registry(MODULES)
NAMES = sorted({name for cmd in REGISTRY.commands for name in (cmd.name, *cmd.aliases.get("fr", ()), *cmd.aliases.get("en", ()))})
SLUGS = ["dombes-brasserie", "conciergerie-rurale", "ressourcerie-creative", "creche-interentreprises", "usine-vivante",
         "usine-vivante/dombes-brasserie", "nope", "a/b/c"]
PEOPLE = ["ana", "camille", "console:me", "console:jules", "@louise", "Mehdi", "telegram:42", "matrix:@x:y", "email:a@b.c"]
HOSTILE = [
    "\x00", "a\x00b", "\x07\x1b[31m", "²", "①", "٣", "𝟙𝟚", "1²", "9" * 30, "9" * 5000, "-1", "0", "2147483648", "#99999999999",
    "\u202e\u202dRTL", "\u200b", "🍺🍺", "\"", "\"unclosed", "« guillemets »", "“curly”", "''", "\\", "%", "_", "*", "NEAR(a b)",
    "\"a\" OR b*", "a AND NOT b", "^start", "col:value", "{bad}", "{0}", "%s", "<script>alert(1)</script>", "' OR 1=1 --",
    "9999-12-31", "31/02", "12/01", "le 1er février", "until tomorrow 99am", "25h", "vendredi prochain", "next friday",
    "oui", "non", "yes", "no", "annuler", "cancel", "tout", "x" * 300, "é" * 70,
]
WORDS = st.sampled_from(SLUGS + PEOPLE + HOSTILE + ["1", "2", "3", "on", "off", "fr", "en", "secret", "anonyme", "nom"])


@st.composite
def command_lines(draw) -> str:
    """A line a person might type: a command name (in either language), then 0 to 4 arguments, sometimes a prefix."""
    name = draw(st.sampled_from(NAMES))
    prefix = draw(st.sampled_from(["", "", "/", "!"]))
    args = draw(st.lists(st.one_of(WORDS, st.text(min_size=1, max_size=12)), max_size=4))
    return " ".join([prefix + name, *args])


LINES = st.one_of(command_lines(), st.text(max_size=60), st.sampled_from(HOSTILE))

_HEADER_VALUE = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40),
                          st.sampled_from(["=?utf-8?b?w6k=?=", "=?iso-8859-1?q?caf=E9?=", "=?bogus?x?zz?=", "<a@b>", ""]))


@st.composite
def mails(draw) -> bytes:
    """A raw mail: odd headers, a charset, a body (maybe 8-bit, maybe broken MIME), sometimes large."""
    subject = draw(st.one_of(command_lines(), _HEADER_VALUE))
    sender = draw(st.sampled_from(["ana@example.org", "Ana <ana@example.org>", "\"=?utf-8?q?An=C3=A9?=\" <ana@example.org>",
                                   "<>", "no-reply@example.org", "broken", ""]))
    charset = draw(st.sampled_from(["utf-8", "iso-8859-1", "us-ascii", "bogus-charset"]))
    body = draw(st.one_of(command_lines(), st.text(max_size=200), st.sampled_from(HOSTILE)))
    extra = draw(st.sampled_from(["", "Content-Transfer-Encoding: quoted-printable\n", "Content-Transfer-Encoding: base64\n",
                                  "Content-Type: multipart/mixed; boundary=\"x\"\n", "Auto-Submitted: auto-replied\n",
                                  "Precedence: bulk\n", "In-Reply-To: <relais.o1.1@relais.test>\n"]))
    size = draw(st.sampled_from([0, 0, 0, 70_000]))
    head = f"From: {sender}\nTo: relais@relais.test\nSubject: {subject}\nMessage-ID: <f{draw(st.integers(0, 10**6))}@example.org>\n"
    head += f"Content-Type: text/plain; charset=\"{charset}\"\n" if "multipart" not in extra else ""
    text = head + extra + "\n" + body + ("\n" + "y" * size if size else "") + "\n"
    encoding = "utf-8" if charset in ("utf-8", "bogus-charset", "us-ascii") else "latin-1"
    return text.encode(encoding, "replace")
