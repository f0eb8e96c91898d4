"""Matrix channel of Relais (matrix-nio): rooms, direct chats, notifications; unencrypted rooms only."""

from bot.adapters.matrix.adapter import MatrixAdapter

__all__ = ["MatrixAdapter"]
