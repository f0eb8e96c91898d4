"""The docs a self-hoster and a facilitator need: the README's Telegram section and first docker compose run, the
same word in `.env.example` and the README on an empty RELAIS_SMTP_URL, and the French guide for facilitators linked
from the README, every command it shows being one Relais has."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import bot.handlers
from bot.core.commands import Registry
from bot.core.parser import split_line

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    found = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ )", README, re.S | re.M)
    assert found, f"no section {title!r} in the README"
    return found.group(1)


def test_the_readme_says_how_to_set_up_telegram():
    telegram = section("Telegram")
    for needed in ("@BotFather", "RELAIS_TELEGRAM_TOKEN", "privacy", "mention", "/me", "telegram:<", "/bind", "topic"):
        assert needed in telegram, needed


def test_the_first_docker_compose_run_step_by_step():
    compose = section("docker compose")
    for needed in ("cp .env.example .env", "RELAIS_SECRET_KEY", "POSTGRES_PASSWORD", "community create", "--facilitator",
                   "COMPOSE_PROFILES=matrix", "COMPOSE_PROFILES=lists"):
        assert needed in compose, needed


def test_env_example_and_the_readme_agree_on_an_empty_smtp_url():
    env = (ROOT / ".env.example").read_text(encoding="utf-8")
    comment = env.split("RELAIS_SMTP_URL=")[0].rstrip().splitlines()[-1]
    assert "mail-out" in comment and "no outbound mail" not in comment
    row = next(line for line in README.splitlines() if line.startswith("| `RELAIS_SMTP_URL`"))
    assert "mail-out" in row


def test_the_french_guide_is_linked_and_its_commands_exist():
    guide = (ROOT / "docs" / "guide-animateur.md").read_text(encoding="utf-8")
    assert "(docs/guide-animateur.md)" in README
    assert "L'heure de la semaine" in guide and "référent·es" in guide
    registry = Registry([importlib.import_module(f"bot.handlers.{m.name}") for m in pkgutil.iter_modules(bot.handlers.__path__)])
    shown = re.findall(r"`(/[^`]+)`", guide) + [line for line in re.findall(r"```\n(.*?)\n```", guide, re.S)]
    assert len(shown) > 20
    for line in shown:
        words = split_line(line).words
        command, _ = registry.resolve(words)
        assert command is not None, f"the guide shows {line!r}, which is no command"
        assert command.localized_name("fr").split()[0] == words[0].lstrip("/"), f"{line!r} is not written in French"
