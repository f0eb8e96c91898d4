"""What the core counts as it works (commands run, messages delivered, digests sent), for the operators' metrics.

The core calls a `Meter`; this one counts nothing, so the core needs no metrics library. With RELAIS_METRICS_TOKEN set,
the composition root hands the core the one of bot/adapters/metrics.py, served at `/metrics` on the web endpoint.
"""

from __future__ import annotations


class Meter:
    def command(self, name: str, seconds: float) -> None:
        """A command ran (`name`: its canonical name, never what was typed), taking `seconds` in all."""

    def delivered(self, platform: str) -> None:
        """An outbox message was sent through `platform`."""

    def delivery_failed(self, platform: str) -> None:
        """A try to send an outbox message through `platform` failed (it is tried again, or through another account)."""

    def digest(self, outcome: str) -> None:
        """A person's digest of the week: `sent`, `failed` or `skipped` (nothing new for them)."""


NOTHING = Meter()
