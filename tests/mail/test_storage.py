"""The mail tables on SQLite and PostgreSQL: raw bytes kept exactly, held mail released, claims, counters, list posts."""

from __future__ import annotations

from datetime import timedelta

from models import Account, Community
from models.mail import InboundMail, MailAddress, MailStatus, OutgoingMail
from tests.mail.conftest import crlf

RAW = crlf("From: Zoé <zoe@example.org>\nSubject: suivre dombes-brasserie\nMessage-ID: <st1@x>\n"
           "Content-Type: text/plain; charset=latin-1\n\n".encode() + "café\x00 \xff\n".encode("latin-1"))


async def test_a_stored_mail_goes_from_held_to_answered_on_both_databases(any_app, clock):
    app = any_app
    mail = app.mail
    row = await InboundMail.create(mail_from="zoe@example.org", rcpt_tos=["relais@relais.localhost"], content=RAW,
                                   size=len(RAW), received_at=clock())
    assert bytes((await InboundMail.get(id=row.id)).content) == RAW  # bytes for bytes, 8-bit and NUL included
    assert await mail.drain() == 1
    row = await InboundMail.get(id=row.id)
    assert row.status == MailStatus.HELD and row.sender == "zoe@example.org"
    account = await Account.get(platform="email", address="zoe@example.org")
    assert await app.services.email.confirm(account.id) is not None
    assert await mail.drain() == 1
    assert (await InboundMail.get(id=row.id)).status == MailStatus.DONE
    assert sorted(await OutgoingMail.all().values_list("kind", flat=True)) == ["confirm", "reply"]
    assert await mail.queue.drain() == 2
    assert await OutgoingMail.filter(status=MailStatus.DONE).count() == 2
    assert len(list((app.settings.core.data_dir / "mail-out").glob("*.eml"))) == 2


async def test_address_counters_and_last_posts_on_both_databases(any_app, clock):
    email, lists = any_app.services.email, any_app.services.lists
    assert [await email.may_reply("a@example.org", 2) for _ in range(3)] == [True, True, False]
    clock.now += timedelta(hours=1)
    assert await email.may_reply("a@example.org", 2)
    assert [await email.bounced("a@example.org", 2) for _ in range(3)] == [False, True, False]
    state = await MailAddress.get(address="a@example.org")
    assert state.bounces == 3 and state.disabled and not await email.receives("a@example.org")
    community = await Community.get(slug="usine-vivante")
    account = await email.first_contact("b@example.org", "B", None)
    await lists.record_post(community.id, "b@example.org", clock() - timedelta(days=3))
    await lists.record_post(community.id, "b@example.org", clock())
    await lists.record_post(community.id, "b@example.org", clock() - timedelta(days=9))  # late copy of an old post
    assert await lists.last_posts(community) == {account.person_id: clock()}
