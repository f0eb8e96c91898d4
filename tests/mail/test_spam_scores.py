"""Every kind of mail Relais sends scored by SpamAssassin's local rules (no network tests): each at most 1.0. The
digests (one community, several, with photos) are sent by a real run; the other kinds are rendered by the mail
adapter's composer from the replies the features make (a notification, a ballot, an event invitation with its .ics, the
address confirmation, an answer to a mail, a pledge link, the report with its chart inline and its figures beside it)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest

from bot.core.replies import About, Attachment, LinkButton, Poll, Reply, bold
from bot.services import demo
from bot.services.report_chart import chart
from bot.services.report_text import report_reply
from models import Account, Community, Membership, Person, Role
from tests.mail.conftest import Relais
from tests.mail.test_digest_combined import two_communities, week

LIMIT = 1.0


def score(raw: bytes) -> tuple[float, str]:
    report = subprocess.run(["spamassassin", "-L", "-t"], input=raw, capture_output=True, timeout=120).stdout.decode()
    status = re.search(r"X-Spam-Status: \w+, score=(-?[0-9.]+)[^\n]*(?:\n\s+[^\n]*)*", report)
    assert status is not None, report[-2000:]
    return float(status.group(1)), status.group(0)


NO_SPAMASSASSIN = pytest.mark.skipif(shutil.which("spamassassin") is None,
                                     reason="spamassassin is not installed (apt-get install spamassassin)")


@NO_SPAMASSASSIN
async def test_the_digest_and_the_one_mail_of_two_communities_score_at_most_one(relais: Relais):
    app, now = relais.app, relais.clock()
    usine, _, _ = await two_communities(now)
    sam = await Person.create(display_name="Sam")  # one community: the usual digest
    await Account.create(person=sam, platform="email", address="sam@example.org", confirmed=True, preferred=True)
    await Membership.create(person=sam, community=usine, role=Role.OBSERVER)
    await (await app.digest_runner()).run(usine, now, week(app, usine), exact=True)
    for address in ("lea@example.org", "sam@example.org"):
        mail, = relais.sink.received_by(address)
        points, status = score(mail.raw)
        print(f"digest to {address}: {points}")
        assert points <= LIMIT, (address, status)


ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Relais//FR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
       b"UID:event-7@example.org\r\nDTSTAMP:20261201T090000Z\r\nDTSTART:20261212T170000Z\r\nDTEND:20261212T190000Z\r\n"
       b"SUMMARY:Assemblee de l'Usine\r\nLOCATION:La grande halle\r\nORGANIZER;CN=Relais:mailto:relais@example.org\r\n"
       b"END:VEVENT\r\nEND:VCALENDAR\r\n")


def kinds(public: str) -> dict[str, tuple[str, Reply, dict]]:
    """(subject, reply, how it is sent) of each kind of mail that is not a digest, as the features word them."""
    notification = (Reply().para("📰 ", bold("Brasserie des Dombes"), " : Les nouvelles cuves sont arrivées, le brassage "
                                 "reprend samedi. Merci à toutes celles et ceux qui ont aidé à les décharger.")
                    .choice("Suivre le projet", "follow usine/brasserie").choice("Ne plus suivre", "unfollow usine/brasserie"))
    ballot = (Reply().para("🗳️ Nouveau sondage dans Tiers-lieu de l'Usine Vivante :")
              .add(Poll("Quel jour pour l'assemblée de décembre ?", ("Samedi 12", "Dimanche 13", "Mercredi 16"), vote="vote usine#3",
                        ref="3", hint="Répondez avec le numéro de votre choix."))
              .para("Le sondage ferme le 10 décembre à 20 h."))
    invitation = (Reply().para("📅 ", "Assemblée de Tiers-lieu de l'Usine Vivante", bold("samedi 12 décembre à 18 h"))
                  .para("Lieu : La grande halle").para("Viendrez-vous ? Votre réponse aide à la préparer.")
                  .add(Attachment("event-7.ics", "text/calendar", ICS, "L'invitation pour votre agenda"))
                  .add(About((("event", 7, 0),))).choice("Je viens", "coming 7").choice("Je ne viens pas", "not coming 7"))
    answer = (Reply().para("Vous suivez maintenant ", bold("Brasserie des Dombes"), ". Vous recevrez ses nouvelles.")
              .choice("Ne plus suivre", "unfollow usine/brasserie"))
    pledge = (Reply().para("Votre lien pour soutenir ", bold("Brasserie des Dombes"), " : il ouvre la page de la campagne.")
              .add(LinkButton("Soutenir la brasserie", f"{public}/p/pledge.1a.usine.4.0.abcd.signature")))
    return {"notification": ("Brasserie des Dombes : nouvelle", notification, {"list_id": "Usine <usine.example.org>"}),
            "ballot": ("Sondage : Quel jour pour l'assemblée de décembre ?", ballot, {}),
            "invitation": ("Invitation : Assemblée de Tiers-lieu de l'Usine Vivante", invitation, {}),
            "answer": ("Re: suivre brasserie", answer, {"in_reply_to": "<m1@example.org>", "auto_replied": True}),
            "pledge": ("Votre lien pour soutenir Brasserie des Dombes", pledge, {})}


async def _scores(relais: Relais) -> dict[str, tuple[float, str]]:
    app = relais.app
    composer = await app.mail.ready()
    sam = await Person.create(display_name="Sam Martin")
    account = await Account.create(person=sam, platform="email", address="sam@example.org", confirmed=True, preferred=True)
    now = relais.clock()
    usine = await Community.get(slug=demo.SLUG)
    t = app.catalogs.get("fr")
    built = await app.services.reports.build(usine, 12)  # the report as `bilan` mails it: its chart inline
    every = {**kinds(composer.public_url),
             "report": ("Bilan de Tiers-lieu de l'Usine Vivante", report_reply(t, built, chart(t, built), 12), {})}
    scores = {}
    for kind, (subject, reply, extra) in every.items():
        choices = await app.ports.choices.store(reply.choices) if reply.choices else None
        message = composer.mail(reply, to=account.address, to_name=sam.display_name, subject=subject,
                                message_id=composer.message_id(kind, now), locale="fr", account_id=account.id,
                                choice_set=choices, **extra)
        scores[kind] = score(bytes(message))
    confirmation = composer.confirmation(Reply().para("Bienvenue dans Relais ! Confirmez votre adresse pour recevoir vos mails."),
                                         to=account.address, subject="Confirmez votre adresse", locale="fr", account_id=account.id,
                                         person_id=sam.id, message_id=composer.message_id("confirm", now + timedelta(seconds=1)))
    scores["confirmation"] = score(bytes(confirmation))
    for kind, (points, status) in scores.items():
        print(f"{kind}: {points}" + (f" ({' '.join(status.split())})" if points > LIMIT else ""))
    return scores


@NO_SPAMASSASSIN
async def test_every_other_kind_of_mail_scores_at_most_one(relais: Relais):
    scores = await _scores(relais)
    # The report among them: its chart's figures are said in words beside it, so it is no "image with little text".
    high = {kind: status for kind, (points, status) in scores.items() if points > LIMIT}
    assert high == {}
