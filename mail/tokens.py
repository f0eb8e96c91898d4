"""Signed, expiring tokens (itsdangerous): short ones in reply addresses; web links come from the web endpoint's token
service (bot/adapters/links/tokens.py)."""

from __future__ import annotations

import base64
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from itsdangerous import BadSignature, Signer

from bot.adapters.links.tokens import LinkError, LinkTokens, b36
from models import AdapterState

__all__ = ["LinkError", "Tokens", "b36", "load_secret"]

log = logging.getLogger("relais.mail")

SECRET_STATE_KEY = "mail:secret_key"
CONFIRM = "c"  # confirm the email account with this id (and its person's id)
CHOICES = "s"  # a reply to a mail offering the choice set with this id, sent to the account with this id
BOUNCE = "b"  # the envelope sender (VERP) of a mail to the account with this id: its bounces come back here
# A reply to a ballot (a mail showing the poll with this id, to the account with this id, its choice set or 0): its first
# line is read as the ballot (`2 1 3`, `1 oui, 2 peut-être, 3 non`), else a number answers the choice set.
VOTE = "v"
# The outbox message a reply answers: a notification about something (a prompt, news) names itself in its Reply-To;
# replies to mails sent before the choice memory name the outbox message or outgoing mail they answer too.
OUTBOX = "o"
OUTGOING = "m"
KINDS = (CONFIRM, CHOICES, BOUNCE, OUTBOX, OUTGOING, VOTE)
_EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)


class _LowerSigner(Signer):
    """Lower-case base32 signature cut to 80 bits: some MTAs lower-case local parts, and a local part
    holds at most 64 characters (RFC 5321), which a base64 SHA-1 signature would nearly fill alone."""

    def get_signature(self, value: str | bytes) -> bytes:
        mac = self.algorithm.get_signature(self.derive_key(), value if isinstance(value, bytes) else value.encode())
        return base64.b32encode(mac)[:16].lower()

    def verify_signature(self, value: str | bytes, sig: str | bytes) -> bool:
        sig = sig if isinstance(sig, bytes) else sig.encode()
        return hmac.compare_digest(self.get_signature(value), sig.lower())


@dataclass(frozen=True)
class AddressToken:
    kind: str
    ids: tuple[int, ...]
    expired: bool


class Tokens:
    def __init__(self, secret: str, clock: Callable[[], datetime]):
        self.clock = clock
        self._address = _LowerSigner(secret, salt="relais.mail.address")
        self.web = LinkTokens(secret, clock)  # every web link: the mails' /l/ links and the digests' act links

    def address_token(self, kind: str, *ids: int, days: float) -> str:
        """`kind` + ids + expiry minute, signed: e.g. `o2n.1x3k9a.<16 chars>` (about 35 characters)."""
        if kind not in KINDS or not ids:
            raise ValueError(f"bad token kind {kind!r}")
        expires = int((self.clock() + timedelta(days=days) - _EPOCH).total_seconds() // 60)
        return self._address.sign(f"{kind}{'-'.join(b36(i) for i in ids)}.{b36(expires)}").decode()

    def read_address_token(self, token: str) -> AddressToken | None:
        """The token's content, or None when it is forged or malformed; an expired one says so."""
        try:
            value = self._address.unsign(token.lower().encode()).decode()
            body, _, expires = value.partition(".")
            kind, ids = body[:1], tuple(int(i, 36) for i in body[1:].split("-"))
            minutes = int(expires, 36)
        except (BadSignature, ValueError, UnicodeDecodeError):
            return None
        if kind not in KINDS:
            return None
        expired = self.clock() > _EPOCH + timedelta(minutes=minutes)
        return AddressToken(kind, ids, expired)

    def link(self, payload: dict[str, Any]) -> str:
        return self.web.mail_link(payload)

    def read_link(self, token: str, max_age: timedelta) -> dict[str, Any]:
        return self.web.read_mail_link(token, max_age)


async def load_secret(configured: str) -> str:
    """The configured secret, else one generated once and kept in the database so links survive restarts."""
    if configured:
        return configured
    state = await AdapterState.get_or_none(key=SECRET_STATE_KEY)
    if state is None:
        state, _ = await AdapterState.get_or_create(key=SECRET_STATE_KEY, defaults={"value": secrets.token_urlsafe(32)})
        log.warning("no RELAIS_SECRET_KEY: generated one and stored it in the database; set it in production",
                    extra={"state_key": SECRET_STATE_KEY})
    return state.value
