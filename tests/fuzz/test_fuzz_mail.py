"""Fuzzing mail: generated raw mails (odd headers, encoded words, charsets, broken MIME, 8-bit, large bodies, automatic
replies) stored as the gateway stores them and read by the real mail pipeline, on SQLite and PostgreSQL. Each one ends
handled, held or ignored — never parked by an exception — and no reply says something went wrong."""

from __future__ import annotations

from hypothesis import given

from bot.core.render import to_text
from bot.core.replies import Reply
from mail import reading
from models import Account
from models.mail import InboundMail, MailStatus, OutgoingMail
from tests.fuzz.strategies import mails

INTERNAL = ("Something went wrong", "Quelque chose s'est mal passé")


@given(raw=mails())
def test_any_mail_is_read_without_an_exception(raw):
    read = reading.read(raw)
    assert "\x00" not in read.text and "\x00" not in read.subject


@given(raw=mails())
async def test_any_mail_goes_through_the_pipeline_without_being_parked(any_app, raw):
    clock = any_app.clock
    if not await Account.exists(platform="email", address="ana@example.org"):  # a confirmed sender: its commands run
        ana = await Account.get(platform="console", address="ana")
        await Account.create(person_id=ana.person_id, platform="email", address="ana@example.org", confirmed=True)
    await OutgoingMail.all().delete()
    row = await InboundMail.create(mail_from="ana@example.org", rcpt_tos=["relais@relais.test"], content=raw, size=len(raw),
                                   received_at=clock())
    await any_app.mail.drain()
    row = await InboundMail.get(id=row.id)
    assert row.status == MailStatus.DONE, (raw[:300], row.status, row.last_error)
    for out in await OutgoingMail.all():
        text = to_text(Reply.from_dict(out.payload.get("reply", {})))
        assert not any(marker in text for marker in INTERNAL), (raw[:300], text)
