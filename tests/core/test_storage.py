"""Storage on SQLite and on PostgreSQL: migrations, uniqueness, news and notifications committed together, delivery."""

from datetime import timedelta

import pytest
from tortoise.exceptions import IntegrityError

from bot import db
from bot.core.errors import TemporaryFailure, Unreachable
from bot.core.plan import Plan, perform
from bot.core.replies import Block, Reply
from models import Account, ConsoleInbox, Follow, NewsItem, OutboxMessage, OutboxStatus, Person, Project
from tests.conftest import Dialog


async def test_migrations_are_applied_once(any_app):
    assert await db.pending_migrations(any_app.database_url) == []
    assert await db.migrate(any_app.database_url) == []


async def test_follow_and_accounts_are_unique(any_app):
    ana = await Person.get(accounts__address="ana")
    project = await Project.get(slug="conciergerie-rurale")
    assert await any_app.services.projects.follow(ana, project) is True
    assert await any_app.services.projects.follow(ana, project) is False
    with pytest.raises(IntegrityError):
        await Follow.create(person=ana, project=project)
    with pytest.raises(IntegrityError):
        await Account.create(person=ana, platform="console", address="ana")


async def test_news_and_its_notifications_commit_together(any_app, monkeypatch):
    camille = await Person.get(accounts__address="camille")
    project = await Project.get(slug="dombes-brasserie")
    community = await project.community

    def broken_build(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(any_app.services.notifier, "news_reply", broken_build)
    with pytest.raises(RuntimeError):
        await any_app.services.projects.post_news(project, camille, "Nouveau brassin", "console", community)
    assert await NewsItem.filter(text="Nouveau brassin").count() == 0
    assert await OutboxMessage.all().count() == 0
    monkeypatch.undo()
    item, count = await any_app.services.projects.post_news(project, camille, "Nouveau brassin", "console", community)
    assert count == 2 and await OutboxMessage.filter(key__startswith=f"news:{item.id}:").count() == 2


async def test_each_follower_gets_exactly_one_notification(any_app):
    await Dialog(any_app, "camille").say("nouvelle dombes-brasserie Brassin n°3")
    assert await any_app.delivery.drain() == 2
    assert await any_app.delivery.drain() == 0
    assert sorted(await ConsoleInbox.all().values_list("address", flat=True)) == ["ana", "mehdi"]
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 2


async def test_a_send_repeated_after_a_crash_is_not_delivered_twice(any_app, clock):
    """A worker that died after sending but before marking sent: the lease expires, the retry changes nothing."""
    await Dialog(any_app, "camille").say("nouvelle dombes-brasserie Brassin n°4")
    claimed = await any_app.delivery._claim()
    ana = await Account.get(address="ana")
    message = next(m for m in claimed if m.person_id == ana.person_id)
    await any_app.delivery._send(any_app.console, message, Reply.from_dict(message.payload), ana, "")  # sent, then the crash
    assert await any_app.delivery.drain() == 0  # still leased
    clock.now += timedelta(minutes=5)
    assert await any_app.delivery.drain() == 2
    assert await ConsoleInbox.filter(address="ana").count() == 1


class Flaky:
    """A channel that fails as told, then works; it records what it delivered."""

    platform = "telegram"
    native: tuple[type, ...] = (Block,)

    def __init__(self, failures: list[Exception]):
        self.failures = failures
        self.delivered: list[tuple[str, int]] = []
        self.again: list[bool] = []  # each try: whether it was told its call may have been made already

    async def destination(self, account, chat, message):
        return {"to": account.address, "outbox": message.id}

    async def render(self, reply, where):
        return Plan([{"op": "send", **where}])

    async def perform(self, action):
        self.again.append(bool(action.get("again")))
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append((action["to"], action["outbox"]))
        return None


async def test_failed_sends_are_retried_with_backoff_never_dropped(any_app, clock):
    channel = Flaky([TemporaryFailure("429"), ConnectionError("reset")])
    any_app.delivery.register(channel)
    ana = await Person.get(accounts__address="ana")
    await Account.create(person=ana, platform="telegram", address="1001", preferred=True)
    await Account.filter(person=ana, platform="console").update(preferred=False)
    await Dialog(any_app, "camille").say("nouvelle dombes-brasserie Brassin n°5")
    await any_app.delivery.drain()
    row = await OutboxMessage.get(person=ana)
    assert (row.status, row.attempts, "429" in row.last_error) == (OutboxStatus.PENDING, 1, True)
    assert row.next_attempt_at == clock.now + timedelta(seconds=2)
    clock.now += timedelta(seconds=2)
    await any_app.delivery.drain()
    row = await OutboxMessage.get(person=ana)
    assert (row.attempts, row.next_attempt_at) == (2, clock.now + timedelta(seconds=4))
    clock.now += timedelta(seconds=4)
    await any_app.delivery.drain()
    row = await OutboxMessage.get(person=ana)
    assert row.status == OutboxStatus.SENT and row.channel == "telegram:1001"
    assert channel.delivered == [("1001", row.id)]
    assert channel.again == [False, True, True]  # a failed try may have gone through: the channel is told so


async def test_a_plan_taken_up_again_says_so_on_its_first_call_only():
    calls: list[dict] = []

    async def call(step):
        calls.append(step)
        return None

    async def done(following, ref):
        return None
    steps = [{"op": "a"}, {"op": "b"}, {"op": "c"}]
    await perform(call, steps, 1, None, done, again=True)
    assert [(c["op"], c.get("again", False)) for c in calls] == [("b", True), ("c", False)]
    assert steps[1] == {"op": "b"}  # the stored plan is not changed
    calls.clear()
    await perform(call, steps, 0, None, done)
    assert [c.get("again", False) for c in calls] == [False, False, False]


async def test_an_unreachable_account_falls_back_to_the_next_channel(any_app):
    channel = Flaky([Unreachable("Forbidden: bot was blocked by the user")])
    any_app.delivery.register(channel)
    ana = await Person.get(accounts__address="ana")
    await Account.create(person=ana, platform="telegram", address="1002", preferred=True)
    await Account.filter(person=ana, platform="console").update(preferred=False)
    await Dialog(any_app, "camille").say("nouvelle dombes-brasserie Brassin n°6")
    await any_app.delivery.drain()
    assert (await Account.get(address="1002")).reachable is False
    row = await OutboxMessage.get(person=ana)
    assert row.status == OutboxStatus.SENT and row.channel == "console:ana"
    assert await ConsoleInbox.filter(address="ana").count() == 1


async def test_a_person_with_no_usable_channel_keeps_the_message(any_app, clock):
    mehdi = await Person.get(accounts__address="mehdi")
    await Account.filter(person=mehdi).update(reachable=False)
    await Dialog(any_app, "camille").say("nouvelle dombes-brasserie Brassin n°7")
    await any_app.delivery.drain()
    row = await OutboxMessage.get(person=mehdi)
    assert (row.status, row.last_error) == (OutboxStatus.PENDING, "no reachable channel")
    await Account.filter(person=mehdi).update(reachable=True)
    clock.now += timedelta(seconds=3)
    await any_app.delivery.drain()
    assert (await OutboxMessage.get(person=mehdi)).status == OutboxStatus.SENT
