"""Telegram channel of Relais: private chats, groups and forum topics through the Bot API (aiogram 3 as the transport)."""

from bot.adapters.telegram import schemas
from bot.core.platforms import Build, Platform, register

schemas.install()  # before aiogram is imported: its types built when first used (about 95 MB less)


def _adapter(build: Build):
    """On when a bot token is set; aiogram is imported only then."""
    settings = build.settings.section("telegram")
    if not settings.token.get_secret_value():
        return None
    from bot.adapters.telegram.adapter import TelegramAdapter

    return TelegramAdapter(settings, build.ports)


register(Platform("telegram", "Telegram", "telegram:<id>", section="telegram", adapter=_adapter, order=10))
