"""A secret poll's ballot being filled in one option at a time, kept in this process' memory only: under the voter's
HMAC key, never in the database (which must not tie a secret ballot to its voter), for half an hour. A restart, or the
next step reaching another process, starts the ballot again; the ballot cast is the box's, as any other."""

from __future__ import annotations

import time

TTL = 1800.0  # seconds a draft waits for its next step


class Drafts:
    def __init__(self, ttl: float = TTL):
        self.ttl = ttl
        self._drafts: dict[str, tuple[float, list[str]]] = {}

    def get(self, key: str) -> list[str]:
        found = self._drafts.get(key)
        if found is None or found[0] < time.monotonic():
            self._drafts.pop(key, None)
            return []
        return list(found[1])

    def put(self, key: str, steps: list[str]) -> None:
        now = time.monotonic()
        if len(self._drafts) > 10_000:  # forgotten drafts go first
            self._drafts = {k: v for k, v in self._drafts.items() if v[0] >= now}
        self._drafts[key] = (now + self.ttl, list(steps))

    def drop(self, key: str) -> None:
        self._drafts.pop(key, None)
