"""What the services' link makers share: the web endpoint's token service and public address, handed over by the
composition root once the endpoint exists (no endpoint: no links)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Signs(Protocol):
    """The web endpoint's token service (bot/adapters/links/tokens.py), as the composition root hands it over."""

    def sign(self, act: str, who: int, community: str = "", obj: str = "", option: int = 0,
             until: datetime | None = None) -> str: ...


class SignedLinks:
    """A maker of links under the public address, each signed for one act on one object."""

    def __init__(self) -> None:
        self.public_url = ""
        self.tokens: Signs | None = None

    def configure(self, public_url: str, tokens: Signs) -> None:
        self.public_url = public_url.rstrip("/")
        self.tokens = tokens

    @property
    def ready(self) -> bool:
        return self.tokens is not None and bool(self.public_url)
