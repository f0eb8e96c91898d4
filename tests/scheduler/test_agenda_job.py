"""The weekly agenda push: once per community and week, to a stand-in when the facilitator is away, the prompts sent
by the agenda itself when asked, reminders on the same tick."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import AgendaSettings, Community, JobRun, Membership, OutboxMessage, Person, Prompt, Role
from scheduler.jobs import AgendaJob

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # Monday 09:00 in Paris (UTC+1)


def job(app, clock) -> AgendaJob:
    return AgendaJob(app.agenda_push(), app.services.prompts, clock)


async def inbox(app, name: str) -> list[str]:
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def test_the_agenda_is_pushed_once_a_week_at_its_time(app, clock):
    agenda = job(app, clock)
    clock.now = MONDAY_9 - timedelta(minutes=1)
    assert await agenda.tick() == []  # last week's was due six days ago: too late, skipped (and recorded)
    assert (await JobRun.get(key="agenda:usine-vivante:2026-W47")).status == "skipped"
    assert await inbox(app, "me") == []
    clock.now = MONDAY_9 + timedelta(seconds=30)
    assert await agenda.tick() == ["agenda:usine-vivante:2026-W48"]
    [pushed] = await inbox(app, "me")
    assert fr("L'heure de la semaine pour Tiers-lieu de l'Usine Vivante") in pushed
    assert fr("Votre agenda de la semaine : quelques choix ci-dessous font la semaine.") in pushed
    assert "1) Relancer les 3 projets proposés" in pushed
    clock.now += timedelta(minutes=1)
    assert await agenda.tick() == []
    assert await job(app, clock).tick() == []  # another process (or a restart) does not push it again
    assert await OutboxMessage.filter(kind="agenda").count() == 1
    clock.now += timedelta(days=7)
    assert await agenda.tick() == ["agenda:usine-vivante:2026-W49"]
    assert await OutboxMessage.filter(kind="agenda").count() == 2


async def test_the_schedule_is_the_communitys_own(app, clock):
    community = await Community.get(slug="usine-vivante")
    await AgendaSettings.create(community=community, weekday=2, hour=18, minute=30)  # Wednesday 18:30 Paris
    clock.now = MONDAY_9 + timedelta(hours=1)
    agenda = job(app, clock)
    await agenda.tick()
    assert not await OutboxMessage.filter(kind="agenda").exists()
    clock.now = datetime(2026, 11, 25, 17, 31, tzinfo=timezone.utc)
    assert await agenda.tick() == ["agenda:usine-vivante:2026-W48"]


async def test_an_away_facilitator_has_a_stand_in(app, clock):
    community = await Community.get(slug="usine-vivante")
    ana = await Person.get(display_name="Ana")
    await Membership.filter(person=ana, community=community).update(role=Role.FACILITATOR)
    me = await Person.get(accounts__platform="console", accounts__address="me")
    await Person.filter(id=me.id).update(away_until=date(2026, 12, 20))
    clock.now = MONDAY_9
    await job(app, clock).tick()
    assert await inbox(app, "me") == []
    [pushed] = await inbox(app, "ana")
    assert "Tiers-lieu de l'Usine Vivante" in pushed


async def test_prompt_auto_sends_the_prompts_and_says_so(app, clock):
    community = await Community.get(slug="usine-vivante")
    await AgendaSettings.create(community=community, auto_prompt=True)
    clock.now = MONDAY_9
    await job(app, clock).tick()
    assert sorted(await Prompt.all().values_list("project__slug", flat=True)) == ["conciergerie-rurale", "ressourcerie-creative"]
    [pushed] = await inbox(app, "me")
    assert fr("Relance automatique active : j'ai relancé les référent·es de Conciergerie rurale, Ressourcerie créative.") in pushed
    assert "En attente de réponse" in pushed
    [asked] = await inbox(app, "mehdi")
    assert "Le point de la semaine sur Conciergerie rurale" in asked
    await job(app, clock).tick()  # a second process on the same week: no second prompt
    assert await Prompt.all().count() == 2


async def test_reminders_go_out_on_the_tick(app, clock):
    clock.now = MONDAY_9
    await ConsoleChat(app.console, "me").exchange("relancer conciergerie-rurale")
    agenda = job(app, clock)
    await agenda.tick()
    assert len(await inbox(app, "mehdi")) == 1  # the prompt
    clock.now += timedelta(days=3, minutes=1)
    await agenda.tick()
    [reminder] = await inbox(app, "mehdi")
    assert "Petit rappel pour Conciergerie rurale" in reminder
    clock.now += timedelta(days=1)
    await agenda.tick()
    assert await inbox(app, "mehdi") == []
