"""The pipeline's parts: typed reply elements and their text, the inbox's lanes, retries and parking, the choice
memory, and `relais failed` listing and putting back what was parked, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.core.choices import ChoiceMemory
from bot.core.render import fallback, to_html, to_text
from bot.core.replies import Attachment, Block, Choice, LinkButton, Poll, Progress, Question, Reply, bold
from bot.runtime.inbox import Event, Inbox, Policy
from bot.runtime.inbox_store import EventStore
from bot.services.failures import Failures
from models import InboundEvent, InboundStatus, OutboxMessage, OutboxStatus, Person
from models.mail import InboundMail, MailStatus, OutgoingMail
from tests.test_cli import relais

EVERY_ELEMENT = (Reply().para("Pledge ", bold("now")).items(["a", "b"], title="List")
                 .add(LinkButton("Pledge on HelloAsso", "https://helloasso.example/p/1"))
                 .add(Attachment("reunion.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "The meeting"))
                 .add(Progress(4800, 12000, "€", "26 jours restants", "fr"))
                 .add(Poll("Which date?", ("Mon 7", "Tue 8"), "multiple", datetime(2026, 12, 9, 18, tzinfo=timezone.utc),
                           anonymous=True, vote="vote 3", hint="Answer with /vote 3 <numbers>", ref="usine-vivante#3"))
                 .add(Question("What is the next step?", "nextstep", {"project": 3}, hint="Answer in your next message."))
                 .choice("Undo", "unfollow x"))


def test_every_element_survives_storage_and_has_a_text_rendering():
    """An outbox payload or a stored plan gives back the same elements; each has a text made once in the core."""
    back = Reply.from_dict(EVERY_ELEMENT.to_dict())
    assert back == EVERY_ELEMENT
    assert back.elements(Attachment)[0].data == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    assert back.question is not None and back.question.data == {"project": 3}
    text = to_text(back)
    for piece in ("Pledge now", "  • a", "🔗 Pledge on HelloAsso <https://helloasso.example/p/1>", "📎 reunion.ics — The meeting",
                  "▓▓▓▓░░░░░░ 40\u202f% — 4\u202f800\u202f€ / 12\u202f000\u202f€ — 26 jours restants",
                  "🗳 Which date?", "  • 1. Mon 7", "Answer with /vote 3 <numbers>", "❓ What is the next step?", "1) Undo"):
        assert piece in text, piece
    assert '<a href="https://helloasso.example/p/1">Pledge on HelloAsso</a>' in to_html(back)
    assert "Pledge on HelloAsso" not in to_html(back, skip=(LinkButton,)), "an adapter rendering it natively skips it"
    english = Progress(4800, 12000, "€", "26 days left", "en")
    assert fallback(english)[0].spans[0].text == "▓▓▓▓░░░░░░ 40% — 4,800 € / 12,000 € — 26 days left"
    assert fallback(Block(spans=[bold("x")])) == [Block(spans=[bold("x")])]


def test_stored_payloads_from_before_the_elements_still_read():
    """Outbox rows written before typed elements (spans as objects, choices as objects) read as they did."""
    old = {"blocks": [{"spans": [{"text": "Hi", "style": "bold", "url": None}], "items": [], "title": ""}],
           "choices": [{"label": "Undo", "command": "unfollow x"}], "error": False}
    reply = Reply.from_dict(old)
    assert to_text(reply) == "Hi\n\n  1) Undo" and reply.choices == [Choice("Undo", "unfollow x")]


async def test_a_failing_event_waits_in_its_lane_then_is_parked_and_put_back(any_app):
    """Tries with back-off, keeps its chat's order (the next event waits), parks after the last try, and comes
    back with `relais failed --retry`: handled then, nothing lost."""
    store = EventStore("fake", any_app.clock)
    handled: list[str] = []
    broken = {"on": True}

    async def handler(event: Event) -> str:
        if event.payload["text"] == "bad" and broken["on"]:
            raise RuntimeError("the platform is down")
        handled.append(event.payload["text"])
        return "done"

    inbox = Inbox("fake", store, handler, any_app.clock, Policy(tries=3, base=0.01, cap=0.05))
    await inbox.accept([Event("fake:1", "fake:chat", {"text": "bad"}), Event("fake:2", "fake:chat", {"text": "after"}),
                        Event("fake:3", "fake:other", {"text": "elsewhere"})])
    await inbox.idle()
    assert handled == ["elsewhere", "after"], "the other chat went on; this chat's next event waited its turn"
    parked = await InboundEvent.get(key="fake:1")
    assert parked.status == InboundStatus.FAILED and parked.attempts == 3 and "the platform is down" in parked.last_error
    failures = Failures(any_app.clock)
    assert [p.ref for p in await failures.parked()] == [f"event:{parked.id}"]
    broken["on"] = False
    assert await failures.retry(f"event:{parked.id}")
    assert await inbox.sweep() == 1
    await inbox.idle()
    assert handled[-1] == "bad" and (await InboundEvent.get(key="fake:1")).status == InboundStatus.DONE
    await store.drain()
    assert await failures.parked() == []


async def test_every_kind_of_parked_item_is_listed_and_put_back(any_app, clock):
    """Parked inbound events, inbound mails, outgoing mails and outbox messages: listed, then put back one or all."""
    now = clock()
    person = await Person.create(display_name="Zoé")
    event = await InboundEvent.create(platform="telegram", key="telegram:1:9", payload={}, status=InboundStatus.FAILED, attempts=5,
                                      last_error="KeyError: 'message'")
    mail = await InboundMail.create(mail_from="x@example.org", rcpt_tos=["relais@x"], content=b"x", received_at=now,
                                    status=MailStatus.FAILED, attempts=5, last_error="ValueError: broken MIME")
    out = await OutgoingMail.create(key="reply:9", address="x@example.org", kind="reply", payload={}, next_attempt_at=now,
                                    created_at=now, status=MailStatus.FAILED, attempts=30, last_error="451 try later")
    box = await OutboxMessage.create(key="news:9:p1", person_id=person.id, kind="news", payload={}, next_attempt_at=now,
                                     status=OutboxStatus.FAILED, attempts=40, last_error="unreachable: telegram")
    failures = Failures(clock)
    listed = {p.ref: p for p in await failures.parked()}
    assert set(listed) == {f"event:{event.id}", f"mail:{mail.id}", f"outgoing:{out.id}", f"outbox:{box.id}"}
    assert listed[f"mail:{mail.id}"].error == "ValueError: broken MIME" and listed[f"outbox:{box.id}"].attempts == 40
    assert await failures.retry(f"outbox:{box.id}") and not await failures.retry(f"outbox:{box.id}")
    back = await OutboxMessage.get(id=box.id)
    assert back.status == OutboxStatus.PENDING and back.attempts == 0 and back.next_attempt_at == now
    with pytest.raises(ValueError):
        await failures.retry("nothing:1")
    assert await failures.retry_all() == 3
    assert await failures.parked() == []
    assert (await InboundMail.get(id=mail.id)).status == MailStatus.PENDING


def test_relais_failed_lists_and_puts_back(tmp_path):
    """The operators' command: a list with ids, `--retry ID`, `--all`, a clear message for an unknown id."""
    assert relais(tmp_path, "migrate").returncode == 0
    assert relais(tmp_path, "failed").stdout.strip() == "nothing parked"
    import sqlite3

    with sqlite3.connect(tmp_path / "relais.sqlite3") as conn:
        conn.execute("INSERT INTO inbound_event (platform, key, lane, payload, state, status, attempts, last_error, created_at) "
                     "VALUES ('telegram', 'telegram:1:7', 'telegram:7', '{}', '{}', 'failed', 5, 'KeyError: x', '2026-11-21 10:00:00')")
    listed = relais(tmp_path, "failed")
    assert "event:1\t2026-11-21 10:00\t5 tries\ttelegram event telegram:1:7\tKeyError: x" in listed.stdout
    assert "1 parked" in listed.stdout
    missing = relais(tmp_path, "failed", "--retry", "event:2")
    assert missing.returncode == 1 and "not parked: event:2" in missing.stderr
    wrong = relais(tmp_path, "failed", "--retry", "events:1")
    assert wrong.returncode == 2 and "kind:id" in wrong.stderr and "Traceback" not in wrong.stderr
    done = relais(tmp_path, "failed", "--retry", "event:1")
    assert done.returncode == 0 and "put back: 1" in done.stdout
    assert relais(tmp_path, "failed", "--all").stdout.strip() == "put back: 0"


async def test_the_choice_memory_answers_numbers_buttons_and_keycaps(any_app, clock):
    """One table for every channel: a set stored once, the latest offer answers a number, a message's offer a keycap."""
    memory = ChoiceMemory(clock)
    choices = [Choice("Undo", "unfollow x"), Choice("See", "project x")]
    first = await memory.offer("matrix:!r:@ana:x", choices, ref="$event1")
    assert await memory.store(list(choices)) == first, "the same choices are one set"
    assert (await memory.pick("matrix:!r:@ana:x", 2)).command == "project x"
    assert await memory.pick("matrix:!r:@ana:x", 3) is None
    assert await memory.pick_by_ref("$event1", 1) == ("matrix:!r:@ana:x", Choice("Undo", "unfollow x"))
    await memory.offer("matrix:!r:@ana:x", [])  # a reply without choices: numbers mean nothing here now
    assert await memory.pick("matrix:!r:@ana:x", 1) is None
    assert await memory.pick_by_ref("$event1", 1) is not None, "the keycap on the old message still answers it"
    fresh = ChoiceMemory(clock)  # another process, or after a restart
    assert (await fresh.pick_from(first, 0)).command == "unfollow x"
    assert await memory.offer("console::zoe", []) is None


async def test_the_pipeline_stores_its_plan_then_answers_on_both_databases(any_app):
    """An event through the fake platform: its planned calls stored (JSON) before the first is made, then done."""
    from tests.conftest import fake_platform

    platform = await fake_platform(any_app)
    try:
        answer = await platform.receive("ana", "suivre conciergerie-rurale")
        assert "Vous suivez désormais Conciergerie rurale." in answer and "1) Annuler" in answer
        assert "Vous ne suivez plus Conciergerie rurale." in await platform.receive("ana", "1")
        await platform.inbox.store.drain()
        rows = await InboundEvent.filter(platform="fake").order_by("id")
        assert [r.status for r in rows] == [InboundStatus.DONE, InboundStatus.DONE]
        assert rows[0].state["actions"][0]["op"] == "show" and rows[0].state["next"] == 0
    finally:
        await platform.stop()
