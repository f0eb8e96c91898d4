"""Two Relais processes on one PostgreSQL database push each agenda, and send each automatic prompt, once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg

from bot.app import App
from bot.config import Settings
from models import AgendaSettings, Community, JobRun, Membership, OutboxMessage, Person, Project, Prompt, Role
from models.people import Account
from tests.conftest import PG_SERVER

ROOT = Path(__file__).resolve().parents[2]
COMMUNITIES = 12


async def seed(url: str, tmp_path: Path) -> None:
    """Communities whose agenda was due two minutes ago (UTC), with prompt auto on: each process finds them all due."""
    app = App(Settings(data_dir=tmp_path, database_url=url, log_level="WARNING"), listen=False)
    await app.start()
    due = datetime.now(timezone.utc) - timedelta(minutes=2)
    for c in range(COMMUNITIES):
        community = await Community.create(slug=f"c{c}", name=f"Communauté {c}", timezone="UTC")
        await AgendaSettings.create(community=community, weekday=due.weekday(), hour=due.hour, minute=due.minute, auto_prompt=True)
        for i in range(2):
            facilitator = await Person.create(display_name=f"Facilitateur {c}.{i}")
            await Account.create(person=facilitator, platform="console", address=f"f{c}-{i}", preferred=True)
            await Membership.create(person=facilitator, community=community, role=Role.FACILITATOR)
        for p in range(4):
            referent = await Person.create(display_name=f"Référent {c}.{p}")
            await Account.create(person=referent, platform="console", address=f"r{c}-{p}", preferred=True)
            await Membership.create(person=referent, community=community, role=Role.REFERENT)
            project = await Project.create(community=community, slug=f"p{p}", title=f"Projet {p}")
            await project.referents.add(referent)
    await app.stop()


async def counts(url: str, tmp_path: Path) -> tuple[int, int, int, int]:
    app = App(Settings(data_dir=tmp_path, database_url=url, log_level="WARNING"), listen=False)
    await app.start()
    try:
        return (await OutboxMessage.filter(kind="agenda").count(), await OutboxMessage.filter(kind="prompt").count(),
                await Prompt.all().count(), await JobRun.filter(key__startswith="agenda:", status="done").count())
    finally:
        await app.stop()


def push(tmp_path: Path, url: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env.update(RELAIS_DATA_DIR=str(tmp_path), RELAIS_DATABASE_URL=url, RELAIS_LOG_LEVEL="WARNING")
    return subprocess.Popen([sys.executable, "-m", "bot", "agenda", "send"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_processes_push_each_agenda_and_prompt_once(tmp_path):
    schema = f"relais_ag{os.getpid()}"
    url = f"{PG_SERVER}?schema={schema}"

    async def sql(statement: str) -> None:
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute(statement)
        await conn.close()

    asyncio.run(sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"'))
    try:
        asyncio.run(seed(url, tmp_path))
        first, second = push(tmp_path, url), push(tmp_path, url)
        outs = [p.communicate(timeout=120) for p in (first, second)]
        assert first.returncode == second.returncode == 0, outs
        pushed = sum(out.count("pushed agenda:") for out, _ in outs)
        assert pushed == COMMUNITIES, outs  # each community's run claimed by one process only
        agendas, prompt_messages, prompts, runs = asyncio.run(counts(url, tmp_path))
        assert agendas == COMMUNITIES * 2  # one per facilitator
        assert prompts == prompt_messages == COMMUNITIES * 3  # the three proposed projects' referents, once
        assert runs == COMMUNITIES
        again = push(tmp_path, url)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0 and "no agenda due now" in out, (out, err)
    finally:
        asyncio.run(sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
