"""Relais: a community assistant for Matrix rooms, Telegram groups and email lists."""

__version__ = "0.1.0"
