"""Telegram channel of Relais: private chats, groups and forum topics through the Bot API (aiogram 3 as the transport)."""
