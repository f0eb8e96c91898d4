"""Telegram channel of Relais: private chats and groups through the Bot API (aiogram 3 as the transport)."""

from bot.adapters.telegram.adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]
