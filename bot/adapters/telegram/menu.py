"""The command menu: setMyCommands from the registry, per language and per chat kind."""

from __future__ import annotations

import re
from typing import Any

from aiogram.types import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats

from bot.core.commands import Command, Registry, fold
from bot.core.i18n import Catalogs

NAME = re.compile(r"^[a-z0-9_]{1,32}$")
DESCRIPTION = 256
LANGUAGES = ("fr", "en")


def menu_name(cmd: Command, locale: str, registry: Registry) -> str | None:
    """The name shown in the menu: the command's name in that language if Telegram accepts it and the core
    resolves it back to the same command. Subcommands ("project add") cannot be Telegram commands: /help lists them."""
    if " " in cmd.name:
        return None
    for name in (cmd.localized_name(locale), *cmd.aliases.get(locale, ()), cmd.name):
        folded = fold(name)
        if NAME.match(folded) and registry.get(folded) is cmd:
            return folded
    return None


def commands(registry: Registry, catalogs: Catalogs, locale: str, group: bool) -> list[BotCommand]:
    t = catalogs.get(locale)
    menu: list[BotCommand] = []
    seen: set[str] = set()
    for cmd in registry.commands:
        if group and not cmd.group:
            continue  # facilitator commands that only make sense in a direct chat
        name = menu_name(cmd, locale, registry)
        if name is None or name in seen:
            continue
        seen.add(name)
        text = " ".join(t(cmd.help).split()) or name
        if len(text) > DESCRIPTION:
            text = text[:DESCRIPTION - 1].rstrip() + "…"
        menu.append(BotCommand(command=name, description=text))
    return menu[:100]  # Telegram's maximum per scope and language


def menus(registry: Registry, catalogs: Catalogs, default_locale: str) -> list[tuple[Any, str | None, list[BotCommand]]]:
    """(scope, language_code, commands) for private chats and groups, in French, English, and the default language
    for people whose Telegram speaks neither."""
    out = []
    for scope, group in ((BotCommandScopeAllPrivateChats(), False), (BotCommandScopeAllGroupChats(), True)):
        for language in (*LANGUAGES, None):
            out.append((scope, language, commands(registry, catalogs, language or default_locale, group)))
    return out


async def publish(bot, registry: Registry, catalogs: Catalogs, default_locale: str) -> int:
    calls = 0
    for scope, language, entries in menus(registry, catalogs, default_locale):
        await bot.set_my_commands(entries, scope=scope, language_code=language)
        calls += 1
    return calls
