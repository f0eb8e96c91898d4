"""A community's list on a real Mailman 3 core: created and subscribed through its REST API, posted to over LMTP, read back.

Mailman sends its list copies over SMTP to the session's sink, which stands for the MTA of the domain: the copy
addressed to relais@ is handed to Relais' gateway with the same envelope, as that MTA would (see the README).
"""
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import uuid
from email.message import EmailMessage
from urllib.error import HTTPError

import pytest

from bot.adapters.console import ConsoleChat
from bot.services.mailing_lists import Lists
from models import Account, Community, ConsoleInbox, Follow, Project
from models.mail import ListPost, ListStatus, ListSubscription, MailingList
from tests.mail.conftest import RELAIS, Relais, mail_settings, serve, shutdown
from tests.peers.mailman import MailmanServer

LIST = "usine-vivante@lists.relais.test"


@pytest.fixture
async def relais_mm(tmp_path, clock, sink, mailman: MailmanServer):
    settings = mail_settings(tmp_path, sink, mailman={
        "url": mailman.rest_url, "user": mailman.rest_user, "password": mailman.rest_password,
        "domain": mailman.mail_domain, "lmtp": f"127.0.0.1:{mailman.lmtp_port}"})
    app, mail, stop, task = await serve(settings, clock)
    yield Relais(app, mail, sink, clock, tmp_path, settings.web.public_url)
    await shutdown(app, stop, task)
    try:
        await asyncio.to_thread(mailman.client().delete_list, LIST)
    except HTTPError:
        pass


async def until(check, timeout: float = 20.0, wake=None):
    for _ in range(int(timeout / 0.1)):
        if wake:
            wake()
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {check.__name__}")


async def members(mailman: MailmanServer) -> set[str]:
    def read():
        return {m.email for m in mailman.client().get_list(LIST).members}
    return await asyncio.to_thread(read)


async def test_a_community_list_is_created_subscribed_announced_to_and_read(relais_mm: Relais, mailman: MailmanServer):
    relais, sync = relais_mm, relais_mm.mail.mailman
    facilitator = ConsoleChat(relais.app.console, "me", locale="en")
    answer = await facilitator.exchange("list create")
    assert LIST in answer
    assert "facilitat" in await ConsoleChat(relais.app.console, "jules").exchange("list create x")  # a member may not

    async def ready():
        return await MailingList.get_or_none(status=ListStatus.READY)
    mlist = await until(ready, wake=sync.wake)
    assert mlist.address == LIST and mlist.list_id == "usine-vivante.lists.relais.test"
    assert await members(mailman) == {RELAIS}  # Relais reads its community's list
    await relais.settle()
    assert any(LIST in row.text for row in await ConsoleInbox.filter(address="me"))  # "the list is ready"

    # An email person opts in by mail; Relais already confirmed the address, so Mailman subscribes it at once.
    anouk = await relais.person_with_email("Anouk", "anouk@example.org")
    await Follow.create(person=anouk, project=await Project.get(slug="dombes-brasserie"))
    await relais.send("From: Anouk <anouk@example.org>\nSubject: subscribe usine-vivante\nMessage-ID: <s1@x>\n\n",
                      mail_from="anouk@example.org")
    [welcome] = await relais.wait_mail(predicate=lambda m: m["In-Reply-To"] == "<s1@x>")
    assert LIST in welcome.message.get_body(("plain",)).get_content()

    async def subscribed():
        return "anouk@example.org" in await members(mailman)
    await until(subscribed, wake=sync.wake)
    assert (await ListSubscription.get(person=anouk)).address == "anouk@example.org"

    # News posted in chat is announced on the list; Mailman delivers it to every member.
    relais.sink.clear()
    await ConsoleChat(relais.app.console, "camille").exchange("nouvelle dombes-brasserie La cuve est arrivée !")
    sync.wake()
    copies = await asyncio.to_thread(mailman.wait_for_delivery, relais.sink,
                                     lambda m: mlist.list_id in (m["List-Id"] or ""), 1, 20.0, ["anouk@example.org", RELAIS])
    to_anouk = next(m for m in copies if "anouk@example.org" in m.rcpt_tos)
    assert "La cuve est arrivée !" in to_anouk.message.get_content()
    assert "Brasserie de la Dombes" in to_anouk["Subject"] and to_anouk["From"].startswith("Camille via Relais")

    # A general meeting set in chat goes to the list too, its invitation attached for the readers' calendars.
    await facilitator.exchange("meeting set 15 january 19:00 Salle des fêtes")
    sync.wake()
    invited = await asyncio.to_thread(mailman.wait_for_delivery, relais.sink,
                                      lambda m: mlist.list_id in (m["List-Id"] or "") and "meeting" in str(m["Message-ID"] or "")
                                      or "General meeting" in str(m["Subject"] or "") or "Réunion générale" in str(m["Subject"] or ""),
                                      1, 20.0, ["anouk@example.org"])
    calendars = [p for m in invited if "anouk@example.org" in m.rcpt_tos for p in m.message.walk()
                 if p.get_content_type() == "text/calendar"]
    assert calendars and b"Salle des f" in calendars[0].get_payload(decode=True)
    # So does an event: its title, when, where, how to answer, and its calendar file.
    await facilitator.exchange('event "Tasting evening" 12 december 19:00 place The brewery places 40')
    sync.wake()
    listed = await asyncio.to_thread(mailman.wait_for_delivery, relais.sink,
                                     lambda m: mlist.list_id in (m["List-Id"] or "") and "Tasting evening" in str(m["Subject"] or ""),
                                     1, 20.0, ["anouk@example.org"])
    body = next(m for m in listed if "anouk@example.org" in m.rcpt_tos).message
    assert "The brewery" in body.get_body(("plain",)).get_content()
    assert any(p.get_content_type() == "text/calendar" and b"METHOD:PUBLISH" in p.get_payload(decode=True) for p in body.walk())

    # Anouk writes to the list (her MTA hands it to Mailman over LMTP); Relais reads its copy and notes the date.
    post = EmailMessage()
    post["From"], post["To"], post["Subject"] = "Anouk <anouk@example.org>", LIST, "Une idée pour la cuve"
    post["Message-ID"] = f"<{uuid.uuid4().hex}@example.org>"
    post.set_content("Et si on faisait une visite ?\n")
    await asyncio.to_thread(mailman.deliver_lmtp, post, mail_from="anouk@example.org", rcpt_tos=[LIST])
    post_copies = await asyncio.to_thread(mailman.wait_for_delivery, relais.sink, lambda m: m["Message-ID"] == post["Message-ID"],
                                          1, 20.0, [RELAIS])
    relais.clock.now = relais.clock.now.replace(hour=15)
    for received in [*copies, *post_copies]:  # the MTA's part: the copies for relais@ go to Relais' gateway
        if RELAIS in received.rcpt_tos:
            await relais.send(received.raw, mail_from=received.mail_from, to=[RELAIS])
    await relais.settle()
    community = await Community.get(slug="usine-vivante")
    assert await relais.app.services.lists.last_posts(community) == {anouk.id: relais.clock.now}
    assert [(p.address, p.posts) for p in await ListPost.all()] == [("anouk@example.org", 1)]  # not Relais' own post
    assert not [m for m in relais.sink.messages if m.mail_from == RELAIS and "anouk@example.org" in m.rcpt_tos
                and "Une idée" in (m["Subject"] or "")]  # list traffic is never answered

    # Unsubscribing by mail takes the address off the list; an observer also leaves the community.
    await relais.send("From: anouk@example.org\nSubject: unsubscribe usine-vivante\nMessage-ID: <s2@x>\n\n",
                      mail_from="anouk@example.org")

    async def gone():
        return "anouk@example.org" not in await members(mailman)
    await until(gone, wake=sync.wake)
    assert not (await ListSubscription.get(person=anouk)).wanted
    assert await Account.filter(address="anouk@example.org").exists()
