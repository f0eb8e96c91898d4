"""Search by mail: a command line in a mail's body gets the results in the reply; a post read on the community's list
is kept (subject, author, the start of its text) and found by the search."""

from __future__ import annotations

from models import Community, ListMessage, MailingList
from models.mail import ListStatus
from tests.mail.conftest import Relais
from tests.mail.test_worker import plain


async def test_a_mail_with_a_search_line_gets_the_results(relais: Relais):
    await relais.person_with_email("Jean", "jean@example.org")
    await relais.send("From: Jean <jean@example.org>\nTo: relais@relais.test\nSubject: Une question\n"
                      "Message-ID: <q1@example.org>\n\nBonjour,\nchercher brasser\n\nJean\n")
    [reply] = await relais.wait_mail()
    text = plain(reply)
    assert reply["In-Reply-To"] == "<q1@example.org>"
    assert "Trouvé dans Tiers-lieu de l'Usine Vivante pour « brasser »" in text
    assert "Brasserie de la Dombes · nouvelle" in text and "La campagne a passé 40 %" in text
    assert "1) Brasserie de la Dombes" in text  # a numbered reply opens the project


async def test_a_list_post_is_kept_and_found(relais: Relais):
    community = await Community.get(slug="usine-vivante")
    await MailingList.create(community=community, address="discussion@lists.relais.test", list_id="usine-vivante.lists.relais.test",
                             status=ListStatus.READY, created_at=relais.clock())
    await relais.send("From: Anouk <anouk@example.org>\nTo: discussion@lists.relais.test\n"
                      "Subject: [Tiers-lieu] Une idée pour la cuve\nList-Id: <usine-vivante.lists.relais.test>\n"
                      "Archived-At: <https://lists.relais.test/archives/p1>\nMessage-ID: <p1@example.org>\n\n"
                      "Et si on organisait une visite de la cuve ?\n\n-- \nAnouk, 06 00 00 00 00\n", mail_from="anouk@example.org")
    await relais.settle()
    [post] = await ListMessage.all()
    assert (post.subject, post.author, post.excerpt, post.archive_url) == (
        "Une idée pour la cuve", "Anouk", "Et si on organisait une visite de la cuve ?", "https://lists.relais.test/archives/p1")
    assert relais.sink.messages == []  # list traffic is never answered
    await relais.person_with_email("Jean", "jean@example.org")
    await relais.send("From: Jean <jean@example.org>\nSubject: chercher visite cuve\nMessage-ID: <q2@example.org>\n\n")
    [reply] = await relais.wait_mail()
    text = plain(reply)
    assert "✉️ Une idée pour la cuve · message de la liste" in text and "(Anouk)" in text
    assert "https://lists.relais.test/archives/p1" in text
