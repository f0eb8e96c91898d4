"""Marks the labels kept beside their enums for extraction; they are translated where they are shown."""


def N_(message: str) -> str:
    return message
