"""Roles by lease on PostgreSQL: one holder at a time, taken over within the failover time when it dies, its
inbox claims given back; the scheduler ticks only with its role; SQLite's lock file lets one service run."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest

from bot.runtime.processes import AlreadyRunning, Processes, Role, ServiceLock
from models import InboundEvent, InboundStatus, ProcessRole, RelaisProcess
from scheduler.factory import Scheduler
from tests.conftest import make_app

FAILOVER = 0.8


class Job:
    """A role's work: records when it ran, in which process, until it is cancelled."""

    def __init__(self, log: list, name: str):
        self.log, self.name = log, name

    async def __call__(self) -> None:
        start = time.monotonic()
        try:
            await asyncio.Event().wait()
        finally:
            self.log.append((self.name, start, time.monotonic()))


async def test_one_process_holds_a_role_and_another_takes_it_when_the_holder_dies(tmp_path, clock):
    app = await make_app("postgres", tmp_path, clock, seed=False)
    first, second = Processes(FAILOVER), Processes(FAILOVER)
    log: list = []
    tasks = []
    try:
        for processes in (first, second):
            await processes.start()
        roles = {first.id: first.role("telegram"), second.id: second.role("telegram")}
        tasks = [asyncio.create_task(role.run(Job(log, pid))) for pid, role in roles.items()]
        await asyncio.sleep(FAILOVER)  # several heartbeats: the role stays where it is
        [row] = await ProcessRole.all()
        holder, other = (first, second) if row.holder == first.id else (second, first)
        assert roles[holder.id].held and not roles[other.id].held and log == []
        event = await InboundEvent.create(platform="telegram", key="telegram:1:1", lane="telegram:5", payload={},
                                          claimed_until=datetime.now(timezone.utc) + timedelta(minutes=5), claimed_by=holder.id)

        holder._task.cancel()  # as if killed: no more heartbeats, the row and the lease stay behind
        killed = time.monotonic()
        await asyncio.sleep(0)
        while not roles[other.id].held:
            assert time.monotonic() - killed < FAILOVER, "not taken over within the failover time"
            await asyncio.sleep(0.01)
        taken = time.monotonic() - killed
        [(name, _, ended)] = log  # the old holder stopped its job on its own, before the other could start
        assert name == holder.id and ended - killed < FAILOVER * 2 / 3 + 0.05
        assert (await ProcessRole.get(role="telegram")).holder == other.id
        assert 0.3 < taken < FAILOVER

        await asyncio.sleep(FAILOVER / 4 + 0.1)  # the next heartbeat reaps the dead process
        assert await RelaisProcess.filter(id=holder.id).count() == 0
        freed = await InboundEvent.get(id=event.id)
        assert freed.claimed_until is None and freed.claimed_by is None and freed.status == InboundStatus.PENDING

        await other.stop()  # a clean stop gives the role back at once
        assert await ProcessRole.all().count() == 0 and await RelaisProcess.all().count() == 0
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for processes in (first, second):
            await processes.stop()
        await app.stop()


async def test_two_processes_starting_together_never_both_hold_a_role(tmp_path, clock):
    app = await make_app("postgres", tmp_path, clock, seed=False)
    many = [Processes(FAILOVER) for _ in range(4)]
    try:
        for processes in many:
            await processes.start()
        for processes in many:
            processes.role("scheduler").wanted = True
        for _ in range(3):
            await asyncio.gather(*(processes.heartbeat() for processes in many))
            assert sum(processes.role("scheduler").held for processes in many) == 1
    finally:
        for processes in many:
            await processes.stop()
        await app.stop()


async def test_the_scheduler_ticks_only_while_it_holds_its_role():
    ticks = []

    class Tick:
        async def tick(self) -> None:
            ticks.append(time.monotonic())

    role = Role("scheduler", lease=10.0)
    scheduler = Scheduler(lambda: [Tick()], clock=None, every=0.05, role=role)
    await scheduler.start()
    try:
        await asyncio.sleep(0.2)
        assert ticks == [] and role.wanted
        role.granted(time.monotonic())  # the heartbeat took the role: a catch-up tick at once, then every 0.05 s
        await asyncio.sleep(0.2)
        assert len(ticks) >= 2
        role.lost()
        await asyncio.sleep(0.1)
        count = len(ticks)
        await asyncio.sleep(0.2)
        assert len(ticks) == count
    finally:
        await scheduler.stop()


def test_a_second_service_on_one_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "relais.sqlite3.lock"
    first = ServiceLock(path)
    first.acquire()
    with pytest.raises(AlreadyRunning, match="already runs on this SQLite database") as refused:
        ServiceLock(path).acquire()
    assert "PostgreSQL" in str(refused.value) and "relais console" in str(refused.value)
    first.release()
    again = ServiceLock(path)
    again.acquire()  # the lock goes with the process that held it
    again.release()
