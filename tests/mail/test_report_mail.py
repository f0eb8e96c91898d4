"""The impact report by mail: a facilitator writes `bilan`; the answer shows the chart inside the HTML (a related
image the <img> names by its Content-ID), not as a file to open, with what it shows said in words."""

from __future__ import annotations

import re

from models import Account, Role
from tests.mail.conftest import Relais


async def test_the_report_mail_shows_the_chart_inline(relais: Relais):
    lea = await relais.person_with_email("Léa", "lea@example.org", role=Role.FACILITATOR)
    assert await Account.filter(person=lea, platform="email").exists()
    await relais.send("From: Léa <lea@example.org>\nSubject: Le point\nMessage-ID: <r1@x>\n\nbilan 4\n", mail_from="lea@example.org")
    [answer] = await relais.wait_mail(predicate=lambda m: m["In-Reply-To"] == "<r1@x>")
    message = answer.message
    html = message.get_body(("html",))
    assert html is not None and "Les 4 dernières semaines" in html.get_content()
    cid = re.search(r'<img src="cid:([^"]+)"', html.get_content()).group(1)
    related = message.get_body(("related",))
    [image] = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == f"<{cid}>" and image.get_payload(decode=True).startswith(b"\x89PNG")
    assert not [p for p in message.iter_attachments() if p.get_content_type() == "image/png"]  # not a file to open
    text = message.get_body(("plain",)).get_content()
    assert "Participation : " in text.replace("\u202f", " ")
    # The chart's figures in words beside it, week by week: the mail reads whole where the picture is not shown.
    assert text.count("Semaine du ") == 4 and re.search(r"[0-9]+ membres? sur [0-9]+ (a|ont) participé", text)
