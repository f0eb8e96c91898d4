"""Secret ballots: voter keys only the configured RELAIS_SECRET_KEY can make, and the ballot box that keeps an open
secret poll's ballots in one row until its close empties it into anonymous ballots.

Why a box and not a row per ballot: rows are stored in the order they are written (SQLite's rowid, PostgreSQL's
ctid), so the n-th ballot row would be the n-th `poll_voter` row. In the box the keys are written sorted (PostgreSQL's
jsonb sorts them too), so nothing in it follows the order or the time of the votes; and a key is an HMAC of the poll
and the person under a key derived from the secret, so the database alone cannot tell whose ballot it is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.sql import sql_for

NO_KEY = N_("Secret polls need a secret key that is not in the database: set RELAIS_SECRET_KEY (in the environment or the "
            ".env file, a long random value such as the output of “openssl rand -hex 32”) and restart Relais.")
KEY_CHANGED = N_("RELAIS_SECRET_KEY changed since poll #{number} opened: its ballots cannot be found with the new one. "
                 "Put the former key back, or close the poll and open a new one.")


def legacy_key(salt: str, person_id: int) -> str:
    """A voter key of a secret poll opened before 15_ballots (its salt was stored beside it)."""
    return hmac.new(salt.encode(), str(person_id).encode(), hashlib.sha256).hexdigest()[:40]


class BallotKeys:
    """Voter keys of secret polls: HMAC-SHA256 of `<poll id>:<person id>` under a key derived from the secret."""

    def __init__(self, secret: str):
        self._key = hmac.new(secret.encode(), b"relais/secret-ballots/v1", hashlib.sha256).digest() if secret else None

    @property
    def ready(self) -> bool:
        return self._key is not None

    def _mac(self, message: str) -> str:
        if self._key is None:
            raise UserError(NO_KEY)
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def check(self) -> str:
        """Which secret this is (a fingerprint that tells nothing of it), kept with a poll to notice a changed key."""
        return self._mac("check")[:16]

    def of(self, poll_id: int, person_id: int, number: int = 0, check: str = "") -> str:
        if check and check != self.check():
            raise UserError(KEY_CHANGED, number=number)
        return self._mac(f"{poll_id}:{person_id}")[:40]


def canonical(choice) -> str:
    return json.dumps(choice, sort_keys=True, separators=(",", ":"))


async def open_box(conn, poll_id: int, lock: bool = True) -> dict:
    """The box's ballots (locked until the end of the transaction on PostgreSQL: votes on one poll take turns)."""
    dialect = conn.capabilities.dialect
    suffix = " FOR UPDATE" if lock and dialect == "postgres" else ""
    _, rows = await conn.execute_query(sql_for(f'SELECT "ballots" FROM "ballot_box" WHERE "poll_id" = ?{suffix}', dialect), [poll_id])
    if not rows:
        return {}
    value = dict(rows[0])["ballots"]
    return json.loads(value) if isinstance(value, str) else dict(value)


async def store_box(conn, poll_id: int, ballots: dict) -> None:
    text = json.dumps(ballots, sort_keys=True, separators=(",", ":"))
    await conn.execute_query(sql_for('UPDATE "ballot_box" SET "ballots" = ?::json WHERE "poll_id" = ?', conn.capabilities.dialect),
                             [text, poll_id])


async def empty_box(conn, poll_id: int) -> list:
    """At the close: the box's ballots become anonymous `ballot` rows (random ids, no voter, no time), written in the
    order of their choices so that even their place says nothing; the box and its keys are deleted. Returns them."""
    dialect = conn.capabilities.dialect
    choices = sorted((await open_box(conn, poll_id)).values(), key=canonical)
    await conn.execute_query(sql_for('DELETE FROM "ballot_box" WHERE "poll_id" = ?', dialect), [poll_id])
    if choices:
        await conn.execute_many(sql_for('INSERT INTO "ballot" ("id", "poll_id", "voter", "choice", "cast_at") '
                                        'VALUES (?, ?, NULL, ?::json, NULL)', dialect),
                                [[str(uuid.uuid4()), poll_id, json.dumps(c)] for c in choices])
    return choices


async def rename(conn, poll_id: int, old: str, new: str, keep_existing: bool = True) -> bool:
    """Move a ballot to another key (people joined, a person erased); where `new` has one already and
    `keep_existing`, the ballot under `old` is dropped. Returns whether there was one under `old`."""
    box = await open_box(conn, poll_id)
    if old not in box:
        return False
    choice = box.pop(old)
    if new not in box or not keep_existing:
        box[new] = choice
    await store_box(conn, poll_id, box)
    return True
