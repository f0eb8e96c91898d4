"""The addresses of a project's files on the web endpoint: plain public ones for what the public pages show, signed and
expiring ones (one act, `file`, on one file) for everything else."""

from __future__ import annotations

from bot.services.pages import RUNNING
from bot.services.signed_links import SignedLinks
from models import Community, Project


class FileLinks(SignedLinks):
    """`<public url>/c/<community>/<project>/files/<n>` for a file the public pages show (a document its referent made
    public, a news item's photo, in a running project of a community whose pages are on); otherwise
    `<public url>/f/<token>`, signed by the web endpoint's token service for that one file. No web endpoint: no link."""

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
