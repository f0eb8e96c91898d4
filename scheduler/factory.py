"""The APScheduler 3 AsyncIOScheduler of `relais run`: jobs are thin and record their runs."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger("relais.scheduler")


class Scheduler:
    """Runs the digest job every `every` seconds, and once at start (catching up on a missed time)."""

    name = "scheduler"

    def __init__(self, digest_job, clock, every: float = 60.0):
        self.digest_job = digest_job
        self.clock = clock
        self.every = every
        self.aps: AsyncIOScheduler | None = None

    async def start(self) -> None:
        self.aps = AsyncIOScheduler(timezone="UTC")
        # One instance at a time and no pile-up: a long run delays the next tick instead of doubling it.
        self.aps.add_job(self.digest_job.tick, IntervalTrigger(seconds=self.every), id="digest",
                         next_run_time=self.clock(), max_instances=1, coalesce=True, misfire_grace_time=None)
        self.aps.start()
        log.info("scheduler started", extra={"every": self.every})

    async def stop(self) -> None:
        if self.aps is not None:
            self.aps.shutdown(wait=False)
            self.aps = None
