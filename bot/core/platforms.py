"""The platform registry: each platform describes itself once (name, settings, adapter factory, how its accounts read).

A platform's package registers its `Platform` when imported (`bot/adapters/telegram/__init__.py`); `discover()`
imports every package under `bot/adapters/` and the email platform's `mail/`, so a new platform is a new folder, its
settings section and its lines in `.env.example`, and no list elsewhere names it. The package's `__init__` stays
light (no transport library): the registry is read by the services and the CLI, the factory imports the adapter
only when the settings turn the platform on.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

# Where platform packages live: every package under bot/adapters/, and mail/ (the email platform, older than the folder).
PLACES = ("bot.adapters",)
PACKAGES = ("mail",)


@dataclass(frozen=True)
class Build:
    """What an adapter factory gets from the composition root: the whole settings (`section(name)` for its own), the
    core's ports, whether the service listens (without it, a client: mail is outbound only), the web endpoint if any."""

    settings: Any  # bot.config.Settings (not imported: the settings import the registry)
    ports: Any  # bot.runtime.ports.Ports
    listen: bool = True
    web: Any = None  # bot.adapters.web.WebServer | None


@dataclass(frozen=True)
class Platform:
    """One platform, as the rest of Relais knows it."""

    name: str  # the accounts' prefix (`telegram:42`), the adapter's `platform`
    display: str  # how people see its name: "Telegram"
    address: str  # how an account on it is written, for help and errors: "telegram:<id>"
    section: str = ""  # its settings section (`Settings.section(name)`); "" = none
    settings: type | None = None  # the section's class, when the platform brings its own (else it is in bot/config.py)
    adapter: Callable[[Build], Any] | None = None  # the adapter, or None when its settings leave it off; None: built by the app
    rooms: bool = True  # its chat bindings are groups or rooms notices are posted to (mail bindings are mailing lists)
    links: bool = True  # people link an account on it to their others and may get notifications there (`link`, `channel`)
    words: tuple[str, ...] = ()  # other words people use for it (`channel element`, `channel courriel`)
    canonical: Callable[[str], str] = str  # an address as stored (mail addresses lower-cased)
    order: int = 50  # where it comes in lists and in the start order


_REGISTRY: dict[str, Platform] = {}
_discovered = False


def register(platform: Platform) -> Platform:
    """Add (or replace) a platform; its package calls this when imported."""
    _REGISTRY[platform.name] = platform
    return platform


def unregister(name: str) -> None:
    """Take a platform out again (a test's platform, when the test ends)."""
    _REGISTRY.pop(name, None)


def discover() -> None:
    """Import every platform package once (each registers itself); cheap after the first call."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for place in PLACES:
        package = importlib.import_module(place)
        for found in pkgutil.iter_modules(package.__path__, place + "."):
            if found.ispkg:
                importlib.import_module(found.name)
    for name in PACKAGES:
        importlib.import_module(name)


def everything() -> list[Platform]:
    """Every platform, in order."""
    discover()
    return sorted(_REGISTRY.values(), key=lambda p: (p.order, p.name))


def get(name: str) -> Platform | None:
    discover()
    return _REGISTRY.get(name.lower())


def names() -> tuple[str, ...]:
    return tuple(p.name for p in everything())


def room_platforms() -> list[str]:
    """The platforms whose chat bindings are rooms (announcements, polls and room digests go there)."""
    return [p.name for p in everything() if p.rooms]


def linkable() -> list[Platform]:
    return [p for p in everything() if p.links]


def by_word(word: str) -> Platform | None:
    """The linkable platform a person means by `word` (its name, display name or one of its words), any case."""
    word = word.strip().lower()
    return next((p for p in linkable() if word in (p.name, p.display.lower(), *p.words)), None)


def address_forms() -> str:
    """How accounts are written, for help and errors: "telegram:<id>, matrix:<mxid>, …"."""
    return ", ".join(p.address for p in everything())


# The console is the core's own terminal (`relais console`, `relais run` on a terminal): always there, built by the app.
register(Platform("console", "console", "console:<name>", order=90))
