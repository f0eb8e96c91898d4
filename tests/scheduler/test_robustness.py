"""The scheduler holds up against bad data: one community's broken time zone stops only that community."""

from __future__ import annotations

import time_machine

from models import Community, JobRun
from scheduler.jobs import DigestJob
from tests.scheduler.test_digest import MONDAY, community, mail_app  # noqa: F401


async def test_a_community_with_a_broken_time_zone_does_not_stop_the_others(mail_app, caplog):  # noqa: F811
    """A time zone that no longer exists (set before it was checked) is logged once per tick; the others run."""
    with time_machine.travel(MONDAY, tick=False):
        await community("paris")
        mars = await community("mars")
        await Community.filter(id=mars.id).update(timezone="Mars/Olympus")
        done = await DigestJob(mail_app.digest_runner, mail_app.services, mail_app.clock).tick()
    assert done == ["digest:paris:2026-W48"]
    assert await JobRun.filter(key__startswith="digest:paris:").count() == 1
    assert [r.community for r in caplog.records if r.getMessage() == "digest tick failed for a community"] == ["mars"]
