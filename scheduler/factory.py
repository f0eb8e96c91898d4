"""The APScheduler 3 AsyncIOScheduler of `relais run`: jobs are thin and record their runs."""

from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger("relais.scheduler")


class Scheduler:
    """Runs its jobs' ticks every `every` seconds, and once at start (catching up on a time missed while down).

    APScheduler decides when; the tick itself runs as our own task, so that stopping waits for the run under
    way to finish instead of cancelling it halfway (its claims would then wait for their lease to end)."""

    name = "scheduler"

    def __init__(self, make_jobs, clock, every: float = 60.0, role=None):
        self.make_jobs = make_jobs  # built at start: the digest job's mailer needs the database
        self.clock = clock
        self.every = every
        self.role = role  # with several processes, only the holder of the "scheduler" role ticks (bot/runtime/processes.py)
        self.jobs: list = []
        self.aps: AsyncIOScheduler | None = None
        self._task: asyncio.Task | None = None
        self._holding: asyncio.Task | None = None

    async def _fire(self) -> None:
        if self.role is not None and not self.role.held:
            return
        if self._task is not None and not self._task.done():
            return  # the previous tick still runs: skip this one rather than pile up
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _hold(self) -> None:
        """While this process holds the role: a tick at once (catching up), then APScheduler's."""
        await self._fire()
        await asyncio.Event().wait()

    async def _tick(self) -> None:
        for job in self.jobs:  # one job failing never stops the others
            try:
                await job.tick()
            except Exception:
                log.exception("scheduled tick failed", extra={"job": type(job).__name__})

    async def start(self) -> None:
        self.jobs = self.make_jobs()
        self.aps = AsyncIOScheduler(timezone="UTC")
        self.aps.add_job(self._fire, IntervalTrigger(seconds=self.every), id="digest",
                         max_instances=1, coalesce=True, misfire_grace_time=None)
        self.aps.start()
        if self.role is None:
            await self._fire()  # catch up at once on a time missed while Relais was down
        else:
            self._holding = asyncio.create_task(self.role.run(self._hold), name="scheduler-role")
        log.info("scheduler started", extra={"every": self.every})

    async def stop(self) -> None:
        if self.aps is not None:
            self.aps.shutdown(wait=False)
            self.aps = None
        if self._holding is not None:  # the tick under way is its own task: it finishes below
            self._holding.cancel()
            await asyncio.gather(self._holding, return_exceptions=True)
            self._holding = None
        if self._task is not None:
            await self._task
