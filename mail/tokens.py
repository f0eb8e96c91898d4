"""Signed, expiring tokens (itsdangerous): short ones in reply addresses, longer ones in web links."""

from __future__ import annotations

import base64
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from itsdangerous import BadSignature, SignatureExpired, Signer, TimestampSigner, URLSafeTimedSerializer

from models import AdapterState

log = logging.getLogger("relais.mail")

SECRET_STATE_KEY = "mail:secret_key"
CONFIRM = "c"  # confirm the email account with this id (and its person's id)
CHOICES = "s"  # a reply to a mail offering the choice set with this id, sent to the account with this id
BOUNCE = "b"  # the envelope sender (VERP) of a mail to the account with this id: its bounces come back here
# Replies to mails sent before the choice memory name the outbox message or outgoing mail they answer.
OUTBOX = "o"
OUTGOING = "m"
KINDS = (CONFIRM, CHOICES, BOUNCE, OUTBOX, OUTGOING)
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)


def b36(number: int) -> str:
    if number < 0:
        raise ValueError("negative")
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = _B36[digit] + out
        if number == 0:
            return out


class _LowerSigner(Signer):
    """Lower-case base32 signature cut to 80 bits: some MTAs lower-case local parts, and a local part
    holds at most 64 characters (RFC 5321), which a base64 SHA-1 signature would nearly fill alone."""

    def get_signature(self, value: str | bytes) -> bytes:
        mac = self.algorithm.get_signature(self.derive_key(), value if isinstance(value, bytes) else value.encode())
        return base64.b32encode(mac)[:16].lower()

    def verify_signature(self, value: str | bytes, sig: str | bytes) -> bool:
        sig = sig if isinstance(sig, bytes) else sig.encode()
        return hmac.compare_digest(self.get_signature(value), sig.lower())


class _ClockSigner(TimestampSigner):
    """Timestamps from the application clock, so link expiry follows the same time as everything else."""

    def __init__(self, *args, clock: Callable[[], datetime], **kwargs):
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock().timestamp())


@dataclass(frozen=True)
class AddressToken:
    kind: str
    ids: tuple[int, ...]
    expired: bool


class LinkError(Exception):
    """The link is forged, damaged (`expired` False) or too old (`expired` True)."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


class Tokens:
    def __init__(self, secret: str, clock: Callable[[], datetime]):
        self.clock = clock
        self._address = _LowerSigner(secret, salt="relais.mail.address")
        self._links = URLSafeTimedSerializer(secret, salt="relais.mail.link", signer=_ClockSigner,
                                             signer_kwargs={"clock": clock})

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
        return self._links.dumps(payload)

    def read_link(self, token: str, max_age: timedelta) -> dict[str, Any]:
        try:
            data = self._links.loads(token, max_age=int(max_age.total_seconds()))
        except SignatureExpired:
            raise LinkError(expired=True) from None
        except BadSignature:
            raise LinkError(expired=False) from None
        if not isinstance(data, dict):
            raise LinkError(expired=False)
        return data


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
