"""Numbers and text read from people: ASCII digits only, bounded; control characters out before anything is stored.

`²`, `①` or `٣` pass `str.isdigit()` but `int()` refuses them (or reads them as another number); a number of 4,301
digits makes `int()` raise; PostgreSQL refuses `\\x00` in text and a number past 2³¹ in an INT column. Every number a
person types goes through `read_number`, every text that arrives through `clean`.
"""

from __future__ import annotations

import re
from typing import Any

MAX_INT = 2**31 - 1  # the largest value an INT column holds
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_number(raw: str, low: int = 0, high: int = MAX_INT) -> int | None:
    """The number `raw` says in ASCII digits (an optional leading #), within [low, high]; None otherwise."""
    text = raw.strip().lstrip("#")
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def is_number(raw: str, digits: int = 4) -> bool:
    """Whether `raw` is a short ASCII number (a choice's number: `3`, never `²` nor a 5,000-digit one)."""
    text = raw.strip()
    return 0 < len(text) <= digits and text.isascii() and text.isdigit()


def clean(value: str) -> str:
    """A text without the control characters a database refuses or a terminal obeys (tab and newlines stay; a carriage
    return becomes a newline) and without lone surrogates (which no UTF-8 can hold)."""
    if value.isascii() and value.isprintable():
        return value
    text = _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return text.encode("utf-8", "replace").decode("utf-8") if any("\ud800" <= c <= "\udfff" for c in text) else text


def clean_all(value: Any) -> Any:
    """`clean` on every string of a JSON-like value (a platform's event), keys included."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: clean_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_all(v) for v in value]
    return value
