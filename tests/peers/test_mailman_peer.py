"""Proves the test peers: a real Mailman 3 core delivering list traffic into the SMTP sink."""
# Fixtures are imported by name, so test parameters shadow them on purpose.
# ruff: noqa: F811

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage

import pytest

from tests.peers.mailman import MailmanServer
from tests.peers.smtp_sink import SmtpSink

ALICE = "alice@example.org"
BOB = "bob@example.net"
STRANGER = "stranger@example.com"


@pytest.fixture
def discuss(mailman: MailmanServer):
    """discuss@ with two pre-confirmed members whose posts skip moderation; removed afterwards."""
    client = mailman.client()
    domain = client.get_domain(mailman.mail_domain)
    mlist = domain.create_list("discuss")
    try:
        settings = mlist.settings
        settings["default_member_action"] = "accept"
        settings["send_welcome_message"] = False
        settings.save()
        for address in (ALICE, BOB):
            mlist.subscribe(
                address,
                pre_verified=True,
                pre_confirmed=True,
                pre_approved=True,
                send_welcome_message=False,
            )
        yield mlist
    finally:
        client.delete_list(mlist.fqdn_listname)


def _post(subject: str, sender: str, to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.org>"
    message.set_content("Hello list, this is a test post.\n")
    return message


def test_rest_api_answers(mailman: MailmanServer) -> None:
    client = mailman.client()
    assert client.system["mailman_version"].startswith("GNU Mailman 3.3")
    assert mailman.mail_domain in [d.mail_host for d in client.domains]


def test_member_post_is_delivered_to_every_member(
    mailman: MailmanServer,
    sink: SmtpSink,
    discuss,
) -> None:
    assert sorted(m.email for m in discuss.members) == sorted([ALICE, BOB])
    post = _post("Hello from Alice", ALICE, discuss.fqdn_listname)

    with smtplib.LMTP(mailman.lmtp_host, mailman.lmtp_port, timeout=10) as lmtp:
        refused = lmtp.send_message(post, from_addr=ALICE, to_addrs=[discuss.fqdn_listname])
    assert refused == {}

    copies = mailman.wait_for_delivery(sink, lambda r: r["Message-ID"] == post["Message-ID"], recipients=[ALICE, BOB])
    assert {rcpt for m in copies for rcpt in m.rcpt_tos} == {ALICE, BOB}
    for copy in copies:
        assert copy["List-Id"] == f"<{discuss.list_id}>"
        assert copy["Subject"] == "[Discuss] Hello from Alice"
        assert copy.mail_from == f"discuss-bounces@{mailman.mail_domain}"
        assert "this is a test post" in copy.message.get_content()


def test_mailman_retries_a_temporarily_refused_delivery(
    mailman: MailmanServer,
    sink: SmtpSink,
    discuss,
) -> None:
    sink.defer_next(1)
    post = _post("Second try", BOB, discuss.fqdn_listname)
    assert mailman.deliver_lmtp(post, mail_from=BOB, rcpt_tos=[discuss.fqdn_listname]) == {}

    copies = mailman.wait_for_delivery(
        sink, lambda r: r["Message-ID"] == post["Message-ID"], recipients=[ALICE, BOB], timeout=20
    )
    assert copies[0]["Subject"] == "[Discuss] Second try"


def test_non_member_post_is_held(mailman: MailmanServer, sink: SmtpSink, discuss) -> None:
    post = _post("Spam from a stranger", STRANGER, discuss.fqdn_listname)
    refused = mailman.deliver_lmtp(post, mail_from=STRANGER, rcpt_tos=[discuss.fqdn_listname])
    assert refused == {}

    # Both notices prove the pipeline ran and held the post. The owner notice goes out
    # to discuss-owner@ over SMTP: a real MTA would loop it back into Mailman.
    owner = f"discuss-owner@{mailman.mail_domain}"
    notices = mailman.wait_for_delivery(
        sink, lambda r: r.mail_from == f"discuss-bounces@{mailman.mail_domain}", recipients=[STRANGER, owner]
    )
    by_rcpt = {m.rcpt_tos[0]: m for m in notices}
    assert by_rcpt[STRANGER]["Subject"] == f"Your message to {discuss.fqdn_listname} awaits moderator approval"
    assert by_rcpt[owner]["Subject"] == f"{discuss.fqdn_listname} post from {STRANGER} requires approval"
    held = discuss.held
    assert [h.subject for h in held] == ["Spam from a stranger"]
    assert not [m for m in sink.messages if m["Message-ID"] == post["Message-ID"]]


def test_sink_refuses_configured_recipients(sink: SmtpSink) -> None:
    sink.fail_rcpt = {"gone@example.org": (550, "5.1.1 no such user"), "busy@example.org": (450, "4.2.1 busy")}
    message = _post("Partly refused", "sender@example.org", "ok@example.org")

    with smtplib.SMTP(*sink.address, timeout=10) as smtp:
        refused = smtp.send_message(message, to_addrs=["ok@example.org", "gone@example.org", "busy@example.org"])
        assert refused == {
            "gone@example.org": (550, b"5.1.1 no such user"),
            "busy@example.org": (450, b"4.2.1 busy"),
        }
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.send_message(message, to_addrs=["GONE@example.org"])

    [received] = sink.wait_for(1, timeout=5)
    assert received.rcpt_tos == ("ok@example.org",)
    assert received["Subject"] == "Partly refused"


def test_sink_defers_the_next_messages(sink: SmtpSink) -> None:
    sink.defer_next(2, 451, "4.3.0 try later")
    message = _post("Deferred", "sender@example.org", "ok@example.org")

    with smtplib.SMTP(*sink.address, timeout=10) as smtp:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPDataError) as refusal:
                smtp.send_message(message)
            assert refusal.value.smtp_code == 451
        smtp.send_message(message)

    received = sink.wait_for(1, timeout=5)
    assert len(received) == 1 and received[0].raw.startswith(b"From: sender@example.org")
    assert sink.received_by("OK@example.org") == received


def test_sink_wait_for_times_out_with_a_summary(sink: SmtpSink) -> None:
    with pytest.raises(TimeoutError, match="got 0"):
        sink.wait_for(1, timeout=0.2)
