"""Builds Relais' mails: addresses, Message-IDs, signed reply addresses and links, then render()."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage

from bot.core.i18n import normalize_locale
from bot.core.replies import Poll, Reply, link
from mail import tokens as tk
from mail.render import Envelope, render

_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')  # RFC 5322 specials
REPLY_DAYS = 30  # a plain reply to a mail works this long
CONFIRM_DAYS = 7
BOUNCE_DAYS = 30  # a DSN comes back within days (MTAs retry for up to 5): one to an older envelope sender is not counted


def ballot_of(reply: Reply) -> int | None:
    """The poll a mail asks to vote on (one open poll in it, by its id), whose reply address then takes the ballot."""
    polls = [p for p in reply.elements(Poll) if not p.closed and p.vote and p.ref.isdigit()]
    return int(polls[0].ref) if len(polls) == 1 else None


class Composer:
    def __init__(self, domain: str, public_url: str, tokens: tk.Tokens, catalogs, clock, default_locale: str = "fr"):
        self.domain = domain.lower()
        self.public_url = public_url.rstrip("/")
        self.tokens = tokens
        self.catalogs = catalogs
        self.clock = clock
        self.default_locale = default_locale
        self.address = f"relais@{self.domain}"
        self.sender = f"Relais <{self.address}>"

    def is_ours(self, address: str) -> bool:
        """relais@ or relais+<anything>@ of our domain: mail Relais itself sent."""
        local, _, domain = address.lower().rpartition("@")
        return domain == self.domain and (local == "relais" or local.startswith("relais+"))

    def reply_address(self, kind: str, *ids: int, days: float = REPLY_DAYS) -> str:
        return f"relais+{self.tokens.address_token(kind, *ids, days=days)}@{self.domain}"

    def bounce_address(self, account_id: int) -> str:
        """The envelope sender (VERP) of a mail to this account: a DSN counts against the account only when it comes
        back to this address, so nobody can disable someone's address by writing DSNs naming it."""
        return self.reply_address(tk.BOUNCE, account_id, days=BOUNCE_DAYS)

    def thread_id(self, thread: str, community: str) -> str:
        """The Message-ID every mail of one thread (a project's notifications) refers to, so clients group them."""
        return f"<relais.{thread}.{community}@{self.domain}>"

    def list_id(self, slug: str, name: str) -> str:
        """List-Id (RFC 2919) of a community's notifications: clients file and filter them, auto-responders keep quiet.
        The name is only a label: characters that would need quoting in a phrase are left out."""
        label = " ".join(_SPECIALS.sub(" ", name).split())
        return f"{label} <{slug}.{self.domain}>" if label else f"<{slug}.{self.domain}>"

    def token_of(self, recipient: str) -> str | None:
        """The token of `relais+<token>@domain`, "" for plain relais@, None for any other address."""
        local, _, domain = recipient.strip("<>").rpartition("@")
        local = local.lower()
        if domain.lower() != self.domain:
            return None
        if local == "relais":
            return ""
        if local.startswith("relais+") and len(local) > 7:
            return local[7:]
        return None

    def link(self, kind: str, account_id: int, **extra) -> str:
        """A /l/ link of a mail: one of its choices (`pick`, with the choice set and the choice's index), its
        unsubscribe (`unsub`) or the address confirmation (`confirm`); all in one signed payload."""
        return f"{self.public_url}/l/{self.tokens.link({'k': kind, 'a': account_id, **extra})}"

    def read_link(self, token: str) -> dict:
        """The payload of a /l/ token; raises tokens.LinkError. Each kind has its own lifetime (MAIL_LINK_AGE)."""
        return self.tokens.web.read_kind(token)

    def message_id(self, tag: str, created: datetime) -> str:
        # Row ids restart with a new database; the creation time keeps the ids unique across resets.
        return f"<relais.{tag}.{int(created.timestamp())}@{self.domain}>"

    def mail(self, reply: Reply, *, to: str, subject: str, message_id: str, locale: str | None, account_id: int | None,
             choice_set: int | None = None, reply_to: str = "", in_reply_to: str = "", references: tuple[str, ...] = (),
             auto_replied: bool = False, to_name: str = "", list_id: str = "") -> EmailMessage:
        """Signed links for each choice (the choice memory's set `choice_set`), a reply address that answers them
        by number, and one-click unsubscribe, when the mail goes to a known account."""
        lang = normalize_locale(locale, self.default_locale)
        urls: tuple[str, ...] = ()
        unsubscribe = ""
        if account_id is not None:
            if choice_set is not None and reply.choices:
                urls = tuple(self.link("pick", account_id, s=choice_set, i=i) for i in range(len(reply.choices)))
            ballot = ballot_of(reply)
            if ballot is not None:  # a plain reply votes: `2 1 3`, `1 oui, 2 peut-être, 3 non` (and a number still chooses)
                reply_to = reply_to or self.reply_address(tk.VOTE, ballot, account_id, choice_set or 0)
            elif choice_set is not None and reply.choices:
                reply_to = reply_to or self.reply_address(tk.CHOICES, choice_set, account_id)
            unsubscribe = self.link("unsub", account_id)
        envelope = Envelope(sender=self.sender, to=to, to_name=to_name, subject=subject, message_id=message_id, date=self.clock(),
                            lang=lang, reply_to=reply_to, in_reply_to=in_reply_to, references=references,
                            auto_replied=auto_replied, unsubscribe_url=unsubscribe, choice_urls=urls, loop=self.address,
                            list_id=list_id)
        return render(reply, envelope, self.catalogs.get(lang), ballot=ballot_of(reply) is not None and bool(reply_to))

    def confirmation(self, reply: Reply, *, to: str, subject: str, message_id: str, locale: str | None, account_id: int,
                     person_id: int, to_name: str = "", in_reply_to: str = "", references: tuple[str, ...] = ()) -> EmailMessage:
        """The double opt-in mail: answering it (reply address) or opening its link confirms the address. Caused by
        a mail (`in_reply_to`), it is an automatic answer in that mail's thread."""
        t = self.catalogs.get(normalize_locale(locale, self.default_locale))
        url = self.link("confirm", account_id, p=person_id)
        reply = Reply(blocks=list(reply.blocks)).para(link(t("Confirm my address"), url))
        return self.mail(reply, to=to, to_name=to_name, subject=subject, message_id=message_id, locale=locale,
                         account_id=account_id, reply_to=self.reply_address(tk.CONFIRM, account_id, person_id, days=CONFIRM_DAYS),
                         in_reply_to=in_reply_to, references=references, auto_replied=bool(in_reply_to))
