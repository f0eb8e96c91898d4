"""Campaign amounts read where the money is given (HelloAsso, Open Collective: the HTTP clients are in
bot/adapters/payments.py), on a schedule with a back-off; milestones and the countdown follow the amount read.

Credentials come from the settings only; they are never stored, and never logged (neither are the tokens)."""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Protocol
from urllib.parse import urlsplit

from bot.core.errors import UserError
from bot.core.i18n import N_, Catalogs
from bot.core.sql import fetch
from bot.services.pledges import Pledges
from models import Campaign, CampaignLink, Community, Project

log = logging.getLogger("relais.money")

PLATFORMS = {"helloasso": "HelloAsso", "opencollective": "Open Collective"}
PLATFORM_WORDS = {"helloasso": "helloasso", "hello-asso": "helloasso", "opencollective": "opencollective",
                  "open-collective": "opencollective", "oc": "opencollective"}
MAX_BACKOFF = timedelta(hours=24)
LEASE = timedelta(minutes=10)  # a claimed read not finished by then (the process died) is taken up again
# HelloAsso's page addresses name the form type in French: /associations/<org>/<kind>/<form>.
FORM_TYPES = {"collectes": "CrowdFunding", "formulaires": "Donation", "evenements": "Event", "adhesions": "Membership",
              "boutiques": "Shop", "paiements": "PaymentForm"}
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


@dataclass
class Reading:
    raised: int  # cents
    backers: int
    currency: str = "EUR"
    pages: int = 1


class Gone(Exception):
    """The form or the account is no longer on the platform."""


class Refused(Exception):
    """The platform refused the credentials (401/403), even after a new token."""


class Limited(Exception):
    """429: the platform asks to wait (`retry_after` seconds)."""

    def __init__(self, retry_after: float):
        super().__init__(f"limited for {retry_after:.0f} s")
        self.retry_after = retry_after


class Failed(Exception):
    """A 5xx, a timeout, an answer that is not what the API documents: tried again later."""


class Gateway(Protocol):
    """The payment platforms' HTTP clients (bot/adapters/payments.py), as the composition root hands them over: `open()`
    gives, for one batch of reads, `read(platform, ref)` raising Gone, Refused, Limited or Failed."""

    names: frozenset[str]

    def open(self) -> AbstractAsyncContextManager[Callable[[str, str], Awaitable[Reading]]]: ...


def _path(raw: str, host: str) -> list[str]:
    """The parts of a page's path (nothing when the address is another site's), or of a short name."""
    if "://" not in raw:
        return [p for p in raw.split("/") if p]
    url = urlsplit(raw)
    return [p for p in url.path.split("/") if p] if (url.hostname or "").endswith(host) else []


def _helloasso_ref(raw: str) -> str:
    """`https://www.helloasso.com/associations/<org>/collectes/<form>` or `<org>/CrowdFunding/<form>`."""
    parts = _path(raw, "helloasso.com")
    if len(parts) >= 4 and parts[0] == "associations" and parts[2] in FORM_TYPES:
        parts = [parts[1], FORM_TYPES[parts[2]], parts[3]]
    if len(parts) == 3 and parts[1] in FORM_TYPES.values() and all(_SLUG.fullmatch(p) for p in (parts[0], parts[2])):
        return "/".join(parts)
    raise UserError(N_("“{value}” is not a HelloAsso form: give its page's address "
                       "(https://www.helloasso.com/associations/<association>/collectes/<form>)."), value=raw[:80])


def _opencollective_ref(raw: str) -> str:
    """`https://opencollective.com/<slug>` (a project's or an event's page too) or `<slug>`."""
    parts = _path(raw, "opencollective.com")
    if parts and _SLUG.fullmatch(parts[-1]) and len(parts) in (1, 3) and (len(parts) == 1 or parts[1] in ("projects", "events")):
        return parts[-1]
    raise UserError(N_("“{value}” is not an Open Collective page: give its address (https://opencollective.com/<name>)."),
                    value=raw[:80])


# How each payment platform's forms or accounts are written, as people copy them.
REF_READERS: dict[str, Callable[[str], str]] = {"helloasso": _helloasso_ref, "opencollective": _opencollective_ref}


def read_ref(platform: str, text: str) -> str:
    """A form or an account of `platform` as people copy it: its page's address or its short name."""
    return REF_READERS[platform](text.strip())


@dataclass
class SyncCounts:
    read: int = 0
    failed: int = 0
    gone: int = 0
    limited: int = 0
    in_flight_max: dict[str, int] = field(default_factory=dict)


class MoneySync:
    """Links campaigns to their platform and reads their amounts when due; milestones and the countdown follow."""

    def __init__(self, clock: Callable[[], datetime], pledges: Pledges, catalogs: Catalogs):
        self.clock = clock
        self.pledges = pledges
        self.catalogs = catalogs
        self.gateway: Gateway | None = None
        self.every = timedelta(minutes=30)
        self.concurrency = 4

    def configure(self, gateway: Gateway, every_minutes: float = 30.0, concurrency: int = 4) -> None:
        """The platforms' clients, built by the composition root from the `payments` settings (where alone the
        credentials live), and the pace."""
        self.gateway = gateway
        self.every = timedelta(minutes=every_minutes)
        self.concurrency = concurrency

    async def link(self, campaign: Campaign, platform: str, ref: str) -> CampaignLink:
        if self.gateway is None or platform not in self.gateway.names:
            raise UserError(N_("{platform} is not set up on this Relais: its operator gives it the API client's id and "
                               "secret (RELAIS_HELLOASSO_CLIENT_ID, RELAIS_HELLOASSO_CLIENT_SECRET)."), platform=PLATFORMS[platform])
        now = self.clock()
        found = await CampaignLink.get_or_none(campaign_id=campaign.id)
        if found is None:
            return await CampaignLink.create(campaign_id=campaign.id, platform=platform, ref=ref, next_at=now, created_at=now)
        await CampaignLink.filter(id=found.id).update(platform=platform, ref=ref, next_at=now, read_at=None, failures=0, error="")
        return await CampaignLink.get(id=found.id)

    async def unlink(self, campaign: Campaign) -> bool:
        return bool(await CampaignLink.filter(campaign_id=campaign.id).delete())

    async def link_of(self, campaign: Campaign) -> CampaignLink | None:
        return await CampaignLink.get_or_none(campaign_id=campaign.id)

    def backoff(self, failures: int, retry_after: float = 0.0) -> timedelta:
        """After `failures` failed reads in a row: the usual pace doubled each time (30 min, 1 h, 2 h … a day), and never
        sooner than the platform's Retry-After."""
        wait = min(self.every * (2 ** min(failures - 1, 16)), MAX_BACKOFF)
        return max(wait, timedelta(seconds=retry_after))

    async def claim(self, limit: int = 5000) -> list[CampaignLink]:
        """The links due, of running campaigns, claimed for a lease (the scheduler's role already keeps one process
        reading; the claim keeps a second one, or a tick that overlaps, from reading them twice)."""
        now = self.clock()
        rows = await fetch('SELECT l."id", l."next_at" FROM "campaign_link" l JOIN "campaign" c ON c."id" = l."campaign_id" '
                           'WHERE l."next_at" <= ? AND c."closed_at" IS NULL ORDER BY l."next_at" LIMIT ?', [now, limit])
        if not rows:
            return []
        ids = [int(r[0]) for r in rows]
        claimed: list[int] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            got = await fetch(f'UPDATE "campaign_link" SET "next_at" = ? WHERE "id" IN ({marks}) AND "next_at" <= ? '
                              'RETURNING "id"', [now + LEASE, *chunk, now])
            claimed.extend(int(r[0]) for r in got)
        return await CampaignLink.filter(id__in=claimed).order_by("id")

    async def run_due(self) -> SyncCounts:
        counts = SyncCounts()
        links = await self.claim()
        if not links:
            return counts
        if self.gateway is None:
            return counts
        gateway = self.gateway
        gates = {name: asyncio.Semaphore(self.concurrency) for name in gateway.names}
        flying: dict[str, int] = {}
        async with gateway.open() as read:
            async def one(link: CampaignLink) -> None:
                if link.platform not in gateway.names:  # its credentials were removed from the settings: tried later
                    await self._failed(link, "unconfigured", counts)
                    return
                async with gates[link.platform]:
                    flying[link.platform] = flying.get(link.platform, 0) + 1
                    counts.in_flight_max[link.platform] = max(counts.in_flight_max.get(link.platform, 0), flying[link.platform])
                    try:
                        reading = await read(link.platform, link.ref)
                    except Gone:
                        await self._gone(link, counts)
                        return
                    except Limited as exc:
                        counts.limited += 1
                        await self._failed(link, "limited", counts, exc.retry_after)
                        return
                    except Refused:
                        await self._failed(link, "unauthorized", counts)
                        return
                    except Failed:
                        await self._failed(link, "failed", counts)
                        return
                    finally:
                        flying[link.platform] -= 1
                await self._apply(link, reading, counts)

            results = await asyncio.gather(*(one(link) for link in links), return_exceptions=True)
        for link, result in zip(links, results):
            if isinstance(result, BaseException):  # our own bug, not the platform's: logged, the link tried again later
                log.error("campaign read failed", exc_info=result, extra={"campaign": link.campaign_id})
        if counts.read or counts.failed or counts.gone:
            log.info("campaign amounts read", extra={"read": counts.read, "failed": counts.failed, "gone": counts.gone,
                                                     "limited": counts.limited})
        return counts

    async def _apply(self, link: CampaignLink, reading: Reading, counts: SyncCounts) -> None:
        campaign = await Campaign.get_or_none(id=link.campaign_id)
        if campaign is None:
            return
        project = await Project.get(id=campaign.project_id)
        community = await Community.get(id=project.community_id)
        if campaign.closed_at is None and (reading.raised != campaign.raised or reading.backers != campaign.backers):
            await self.pledges.progress(campaign, project, community, reading.raised, reading.backers,
                                        self.catalogs.get(community.locale))
        now = self.clock()
        await CampaignLink.filter(id=link.id).update(read_at=now, next_at=now + self.every, failures=0, error="")
        counts.read += 1

    async def _failed(self, link: CampaignLink, kind: str, counts: SyncCounts, retry_after: float = 0.0) -> None:
        failures = link.failures + 1
        wait = self.backoff(failures, retry_after)
        await CampaignLink.filter(id=link.id).update(failures=failures, error=kind, next_at=self.clock() + wait)
        counts.failed += 1
        log.warning("campaign read failed", extra={"campaign": link.campaign_id, "platform": link.platform, "error": kind,
                                                   "failures": failures, "retry_in_s": int(wait.total_seconds())})

    async def _gone(self, link: CampaignLink, counts: SyncCounts) -> None:
        """No more reads; the amount stays as last read, and `campaign` says the form is gone."""
        await CampaignLink.filter(id=link.id).update(next_at=None, error="gone", failures=link.failures + 1)
        counts.gone += 1
        log.warning("campaign form gone", extra={"campaign": link.campaign_id, "platform": link.platform})
