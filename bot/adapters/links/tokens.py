"""One token service for the web endpoint's links: act links signed for one act on one object with a lifetime that fits
the act, the page tokens of the link pages' buttons, and the mails' /l/ links; each purpose with its own derived key."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from base64 import urlsafe_b64encode
from binascii import b2a_base64
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from itsdangerous import BadSignature, SignatureExpired, Signer, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.signer import SigningAlgorithm

# How long an act link works when nothing ends it sooner (a poll's close, a meeting's start, a campaign's end).
LIFETIME = {
    "follow": timedelta(days=30), "unfollow": timedelta(days=30),
    "vote": timedelta(days=60),  # the bound of a poll with no closing time
    "coming": timedelta(days=60), "notcoming": timedelta(days=60),
    "off": timedelta(days=365),  # the digest's List-Unsubscribe: RFC 8058 clients use it long after the mail came
    "alloff": timedelta(days=365),  # the one mail of several communities: its List-Unsubscribe stops all their digests
    "support": timedelta(days=90),  # the digest's pledge link: a visit, then the campaign's page
    "pledge": timedelta(days=365),  # a person's own pledge link, given in a chat: a visit too
    "back": timedelta(days=60),  # the digest's support of an idea (+1)
    "invite": timedelta(days=365),  # a member's invitation link: a page saying how to join, counted
    "file": timedelta(days=30),  # a project's file (a document, a news photo at full size): read, never changed
}
ACTS = tuple(LIFETIME)
LONGEST = timedelta(days=366)
# The mails' /l/ links name their kind (and their object) inside one signed payload, under the key they were first
# sent with, so that the links of mails already out keep working.
MAIL_LINK_AGE = {"confirm": timedelta(days=7), "unsub": timedelta(days=365), "pick": timedelta(days=30)}
OLD_DIGEST_AGE = timedelta(days=365)  # digest links of before act links: recognised, never obeyed
PAGE_AGE = timedelta(hours=2)  # from opening a link's page to pressing its button
_FIELD = re.compile(r"[a-z0-9-]{0,64}")
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)
_URLSAFE = bytes.maketrans(b"+/", b"-_")


def b36(number: int) -> str:
    if number < 0:
        raise ValueError("negative")
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = _B36[digit] + out
        if number == 0:
            return out


class LinkError(Exception):
    """The link is forged, damaged or not for this (`expired` False), or too old (`expired` True)."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class Act:
    """What one act link allows: `act` on `obj` (a project's slug, a poll's number, a meeting's or a campaign's id) in
    `community`, by `who` (the email account; the person for a pledge link), with `option` for a vote (else 0)."""

    act: str
    who: int
    community: str
    obj: str
    option: int


class _Blake2b(SigningAlgorithm):
    """Keyed BLAKE2b, 128 bits (a MAC by design): a digest of 200 project lines signs 200 links for each reader, and
    this costs half of itsdangerous' HMAC-SHA1."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hashlib.blake2b(value, key=key, digest_size=16).digest()


class ClockSigner(TimestampSigner):
    """Timestamps from the application clock, so expiry follows the same time as everything else."""

    def __init__(self, *args, clock: Callable[[], datetime], **kwargs):
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock().timestamp())


def _key(secret: str, purpose: str) -> bytes:
    """The key of one purpose, derived once from the instance secret (itsdangerous' HMAC derivation)."""
    return Signer(secret, salt=f"relais.link.{purpose}", key_derivation="hmac", digest_method=hashlib.sha256).derive_key()


def _bound(link_token: str) -> str:
    return urlsafe_b64encode(hashlib.blake2b(link_token.encode(), digest_size=12).digest()).decode()


class ReaderSigner:
    """The very tokens of LinkTokens.sign for one reader, with what they share worked out once and itsdangerous'
    Signer.sign inlined (its value, ".", the unpadded URL-safe base64 of the algorithm's signature): a digest of 200
    projects signs 200 links per reader. What every reader's link to one act on one object shares (its act, its object
    and option, their bytes) is read once a run (`LinkTokens._plan`); per reader, each act's MAC has the reader's part
    (`<act>.<who>.<community>.`) fed once, and each link costs a copy, its object's bytes and the digest."""

    def __init__(self, tokens: LinkTokens, head: str, ends: dict[tuple[str, str], datetime]):
        self._tokens = tokens
        self._head = head
        self._ends = ends
        self._minutes: dict[str, str] = {}
        self._macs: dict[str, Any] = {}  # act → its MAC with `<act><head>` fed

    def __call__(self, act: str, obj: str, option: int = 0) -> str:
        return self.many([f"{act}:{obj}:{option}"])[0]

    def _mac(self, act: str):
        key = self._tokens._keys.get(act)
        if key is None:
            raise ValueError(f"cannot sign {act!r}")
        mac = self._macs[act] = hashlib.blake2b(f"{act}{self._head}".encode(), key=key, digest_size=16)
        return mac

    def many(self, keys: list[str]) -> list[str]:
        """Tokens for `act:object:option` keys. The signatures are encoded together: each 16-byte MAC padded with two
        zero bytes is 24 base64 characters whose first 22 are its own unpadded encoding, so one base64 call and one
        translation serve a whole digest."""
        head, ends, minutes, macs, plans = self._head, self._ends, self._minutes, self._macs, self._tokens._plans
        values, digests = [], []
        for key in keys:
            plan = plans.get(key) or self._tokens._plan(key)
            act, obj, tail = plan
            end = ends.get((act, obj)) if ends else None
            if end is not None:
                minute = b36(self._tokens.expiry(act, end))
            else:
                minute = minutes.get(act) or minutes.setdefault(act, b36(self._tokens.expiry(act)))
            rest = tail + minute
            mac = (macs.get(act) or self._mac(act)).copy()
            mac.update(rest.encode())
            values.append(f"{act}{head}{rest}")
            digests.append(mac.digest())
        if not values:
            return []
        signatures = b2a_base64(b"\0\0".join(digests) + b"\0\0", newline=False).translate(_URLSAFE).decode()
        return [value + "." + signatures[24 * n:24 * n + 22] for n, value in enumerate(values)]


class LinkTokens:
    """Signs and reads every link token of the web endpoint. An act token reads
    `<act>.<who>.<community>.<object>.<option>.<expiry>.<signature>`, signed with the act's own key: a token taken
    from one link verifies for no other act, object, option or person."""

    def __init__(self, secret: str, clock: Callable[[], datetime]):
        self.clock = clock
        self._keys = {act: _key(secret, act) for act in ACTS}
        # `act:object:option` → (act, object, "<object>.<option>."): what every reader's token for it shares.
        self._plans: dict[str, tuple[str, str, str]] = {}
        self._acts = {act: Signer(key, key_derivation="none", algorithm=_Blake2b()) for act, key in self._keys.items()}
        self._page = ClockSigner(_key(secret, "page"), key_derivation="none", algorithm=_Blake2b(), clock=clock)
        self._mail = URLSafeTimedSerializer(secret, salt="relais.mail.link", signer=ClockSigner, signer_kwargs={"clock": clock})
        self._old_pledge = URLSafeSerializer(secret, salt="relais.pledge")

    # -- act links ----------------------------------------------------------------------------------------

    def expiry(self, act: str, until: datetime | None = None) -> int:
        """The expiry minute of an act link signed now: `until` when something ends the act then, else its lifetime;
        never more than a year."""
        now = self.clock()
        end = min(until or now + LIFETIME[act], now + LONGEST)
        return math.ceil((end - _EPOCH).total_seconds() / 60)

    def sign(self, act: str, who: int, community: str = "", obj: str = "", option: int = 0, until: datetime | None = None) -> str:
        """An act token for `who` to do `act` on `obj` (a vote: `option`), valid until `until` or for its lifetime."""
        signer = self._acts.get(act)
        if signer is None or not _FIELD.fullmatch(community) or not _FIELD.fullmatch(obj):
            raise ValueError(f"cannot sign {act!r} on {community!r}/{obj!r}")
        return signer.sign(f"{act}.{b36(who)}.{community}.{obj}.{b36(option)}.{b36(self.expiry(act, until))}").decode()

    def _plan(self, key: str) -> tuple[str, str, str]:
        act, obj, option = key.split(":")
        if act not in self._keys or "." in obj:
            raise ValueError(f"cannot sign {key!r}")
        if len(self._plans) > 65536:  # a long-lived process signs for many weeks' objects
            self._plans.clear()
        plan = self._plans[key] = (act, obj, f"{obj}.{option if len(option) == 1 else b36(int(option))}.")
        return plan

    def reader(self, who: int, community: str, ends: dict[tuple[str, str], datetime] | None = None) -> ReaderSigner:
        """Signs one reader's many act links (a digest's: 200 and more each). `ends`: (act, object) → when it ends."""
        if not _FIELD.fullmatch(community):
            raise ValueError(f"cannot sign for {community!r}")
        return ReaderSigner(self, f".{b36(who)}.{community}.", ends or {})

    def read(self, token: str) -> Act:
        """The act a token allows; raises LinkError when it is forged, altered or expired."""
        act = token.partition(".")[0]
        signer = self._acts.get(act)
        if signer is None:
            raise LinkError(expired=False)
        try:
            parts = signer.unsign(token).decode().split(".")
            if len(parts) != 6 or not _FIELD.fullmatch(parts[2]) or not _FIELD.fullmatch(parts[3]):
                raise ValueError("malformed")
            who, option, minute = (int(parts[i], 36) for i in (1, 4, 5))
        except (BadSignature, ValueError, UnicodeError):
            raise LinkError(expired=False) from None
        if self.clock() > _EPOCH + timedelta(minutes=minute):
            raise LinkError(expired=True)
        return Act(act, who, parts[2], parts[3], option)

    # -- the pages' buttons -------------------------------------------------------------------------------

    def page(self, link_token: str) -> str:
        """The token a link's page puts in its form: bound to that link, valid PAGE_AGE."""
        return self._page.sign(_bound(link_token)).decode()

    def page_ok(self, page: str, link_token: str) -> bool:
        try:
            value = self._page.unsign(page, max_age=int(PAGE_AGE.total_seconds())).decode()
        except (BadSignature, UnicodeError):
            return False
        return hmac.compare_digest(value, _bound(link_token))

    # -- the mails' /l/ links, and the links of before ------------------------------------------------------

    def mail_link(self, payload: dict[str, Any]) -> str:
        return self._mail.dumps(payload)

    def read_mail_link(self, token: str, max_age: timedelta) -> dict[str, Any]:
        try:
            data = self._mail.loads(token, max_age=int(max_age.total_seconds()))
        except SignatureExpired:
            raise LinkError(expired=True) from None
        except BadSignature:
            raise LinkError(expired=False) from None
        if not isinstance(data, dict):
            raise LinkError(expired=False)
        return data

    def read_kind(self, token: str, ages: dict[str, timedelta] = MAIL_LINK_AGE) -> dict[str, Any]:
        """A /l/ payload of one of the kinds in `ages`, each read with its own lifetime."""
        data = self.read_mail_link(token, max(ages.values()))
        age = ages.get(str(data.get("k", "")))
        if age is None:
            raise LinkError(expired=False)
        return self.read_mail_link(token, age)

    def read_old_digest(self, token: str) -> dict[str, Any]:
        """A digest token of before act links (one token for a person and a community): only to say what it was."""
        return self.read_kind(token, {"digest": OLD_DIGEST_AGE})

    def read_old_pledge(self, token: str) -> tuple[int, int] | None:
        """(campaign, person) of a pledge link of before act links: it still opens the campaign's page (a visit)."""
        try:
            value = self._old_pledge.loads(token)
        except BadSignature:
            return None
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
            return None
        return value[0], value[1]
