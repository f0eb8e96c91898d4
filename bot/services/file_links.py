"""The addresses of a project's files on the web endpoint: plain public ones for what the public pages show, signed and
expiring ones (one act, `file`, on one file) for everything else."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.services.pages import RUNNING
from models import Community, Project


class Signs(Protocol):
    """The web endpoint's token service (bot/adapters/links/tokens.py), as the composition root hands it over."""

    def sign(self, act: str, who: int, community: str = "", obj: str = "", option: int = 0,
             until: datetime | None = None) -> str: ...


class FileLinks:
    """`<public url>/c/<community>/<project>/files/<n>` for a file the public pages show (a document its referent made
    public, a news item's photo, in a running project of a community whose pages are on); otherwise
    `<public url>/f/<token>`, signed by the web endpoint's token service for that one file. No web endpoint: no link."""

    def __init__(self) -> None:
        self.public_url = ""
        self.tokens: Signs | None = None

    def configure(self, public_url: str, tokens: Signs) -> None:
        self.public_url = public_url.rstrip("/")
        self.tokens = tokens

    @property
    def ready(self) -> bool:
        return self.tokens is not None and bool(self.public_url)

    @staticmethod
    def public(community: Community, project: Project, shown: bool) -> bool:
        """Whether the public pages show this file: `shown` says the file itself may be (a public document, a photo)."""
        return shown and bool(community.pages) and project.status in RUNNING

    def url(self, use_id: int, community: Community, project: Project, shown: bool, who: int = 0) -> str:
        """The file's link: public when the pages show it, else signed for `who` (0: anyone the message reached)."""
        if not self.ready:
            return ""
        if self.public(community, project, shown):
            return f"{self.public_url}/c/{community.slug}/{project.slug}/files/{use_id}"
        assert self.tokens is not None
        try:
            return f"{self.public_url}/f/{self.tokens.sign('file', who, community.slug, str(use_id))}"
        except ValueError:  # a community name the tokens cannot carry: no link rather than a broken one
            return ""
