"""Translations from the Babel catalogs in bot/locale, loaded once at start."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES = ("fr", "en")
DOMAIN = "relais"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


def normalize_locale(value: str | None, default: str = "fr") -> str:
    if not value:
        return default
    short = value.replace("-", "_").split("_")[0].lower()
    return short if short in LOCALES else default


class Catalogs:
    """Compiled catalogs for every supported language."""

    def __init__(self, locale_dir: Path = LOCALE_DIR):
        self._translations: dict[str, NullTranslations] = {}
        for code in LOCALES:
            po = locale_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"
            if not po.exists():  # English: the message ids themselves
                self._translations[code] = NullTranslations()
                continue
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=code)
            buf = io.BytesIO()
            write_mo(buf, catalog)
            buf.seek(0)
            self._translations[code] = Translations(buf, domain=DOMAIN)
        self._translators = {code: Translator(code, self._translations[code]) for code in LOCALES}

    def get(self, locale: str) -> "Translator":
        return self._translators[normalize_locale(locale)]


NARROW_NBSP = "\u202f"
# French puts a narrow no-break space before : ; ? ! (and English none): the translations are set right here, once
# per message, so that no catalog entry can get it wrong; the parameters (what people wrote) are left as they are.
_BEFORE_PUNCTUATION = re.compile(r"(?:[ \u00a0\u202f]|(?<=[\w»)}]))([:;?!])(?=[\s)»]|$)")
_BEFORE_PERCENT = re.compile(r"[ \u00a0](?=%)")  # « 40 % »: the space a translation put there, made narrow and unbreakable


def french_typography(text: str) -> str:
    return _BEFORE_PERCENT.sub(NARROW_NBSP, _BEFORE_PUNCTUATION.sub(NARROW_NBSP + r"\1", text))


JUST_NOW = N_("just now")


class Translator:
    """Translates and formats strings for one language."""

    def __init__(self, locale: str, translations: NullTranslations):
        self.locale = locale
        self._t = translations
        self._babel_locale = Locale.parse(locale)
        self._typeset: dict[str, str] = {}
        self._dates: dict[tuple[date, str], str] = {}  # a digest run formats the same few days thousands of times

    def _text(self, text: str) -> str:
        if self.locale != "fr":
            return text
        done = self._typeset.get(text)
        if done is None:
            done = self._typeset[text] = french_typography(text)
        return done

    def __call__(self, message: str, **params) -> str:
        text = self._text(self._t.gettext(message))
        return text.format(**self._numbers(params)) if params else text

    def n(self, singular: str, plural: str, count: int, **params) -> str:
        text = self._text(self._t.ngettext(singular, plural, count))
        return text.format(count=count, **self._numbers(params))

    def _numbers(self, params: dict) -> dict:
        """Decimal numbers written the language's way (21,5 in French, 21.5 in English); the rest as it is."""
        if not any(isinstance(v, float | Decimal) for v in params.values()):
            return params
        return {k: format_decimal(v, locale=self._babel_locale) if isinstance(v, float | Decimal) else v for k, v in params.items()}

    def date(self, value: date, fmt: str = "full") -> str:
        key = (value, fmt)
        text = self._dates.get(key)
        if text is None:
            if len(self._dates) > 4096:
                self._dates.clear()
            text = self._dates[key] = format_date(value, format=fmt, locale=self._babel_locale)
        return text

    def ago(self, delta) -> str:
        """How long ago, in words: "3 weeks ago", "il y a 3 semaines"; under a minute, "just now"."""
        if delta.total_seconds() < 60:
            return self(JUST_NOW)
        return format_timedelta(-delta, add_direction=True, threshold=1.1, locale=self._babel_locale)
