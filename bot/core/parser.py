"""Splits a command line: prefix, command words, then arguments (quotes keep words together)."""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIXES = ("/", "!")
_QUOTES = {'"': '"', "“": "”", "«": "»"}
_TOKEN = re.compile(r'"[^"]*"|“[^”]*”|«[^»]*»|\S+')


@dataclass
class Line:
    prefixed: bool
    words: list[str]
    raw: str  # the text after the prefix


def split_line(text: str) -> Line | None:
    """None for an empty line; a `/cmd@bot` suffix is dropped from the first word."""
    text = text.strip()
    prefixed = text[:1] in PREFIXES
    if prefixed:
        text = text[1:].lstrip()
    if not text:
        return None
    words = text.split()
    head = words[0].split("@", 1)[0] if prefixed else words[0]
    if head != words[0]:
        text = head + text[len(words[0]):]
        words[0] = head
    return Line(prefixed, words, text)


def rest_after(raw: str, count: int) -> str:
    """The raw text after the first `count` words, spacing inside it kept."""
    rest = raw
    for _ in range(count):
        rest = rest.lstrip()
        m = re.match(r"\S+", rest)
        rest = rest[m.end():] if m else ""
    return rest.strip()


def unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] == _QUOTES[text[0]]:
        return text[1:-1].strip()
    return text


def next_token(rest: str) -> tuple[str, str]:
    """The first token (quotes removed) and what follows it."""
    rest = rest.lstrip()
    m = _TOKEN.match(rest)
    if not m:
        return "", ""
    return unquote(m.group(0)), rest[m.end():].strip()


def tokens(text: str) -> list[tuple[str, bool]]:
    """Every token of a line (quotes removed), each with whether it was quoted: a quoted word is always a value."""
    return [(unquote(m), m[:1] in _QUOTES) for m in _TOKEN.findall(text)]
