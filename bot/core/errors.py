"""Errors meant for the person (a message id with parameters, translated when shown), and what a channel's send can
raise instead of delivering (the delivery and the adapters speak of them both)."""

from __future__ import annotations

from bot.core.replies import Choice


class UserError(Exception):
    """A problem the person can fix; `choices` offer the likely fixes."""

    def __init__(self, message: str, choices: list[Choice] | None = None, **params):
        super().__init__(message)
        self.message = message
        self.params = params
        self.choices = choices or []


class UsageError(UserError):
    """Missing or wrong arguments: the reply carries the command's usage line."""

    def __init__(self, message: str, command=None, **params):
        super().__init__(message, **params)
        self.command = command


class Ambiguous(UserError):
    """What was typed names several things (two people called Louise): `options` are (label, value) pairs, the value
    written in place of what was typed makes the command line of each choice."""

    def __init__(self, message: str, options: list[tuple[str, str]], **params):
        super().__init__(message, **params)
        self.options = options


# -- a channel's send ----------------------------------------------------------------------------------------------


class Unreachable(Exception):
    """The account cannot receive anything (blocked the bot, address gone): try the next one."""


class TemporaryFailure(Exception):
    """Try again later (rate limit, network, server error)."""


class Elsewhere(Exception):
    """Another process serves this channel now (Matrix with encryption: one process holds the keys): the message waits
    for it, no attempt counted."""
