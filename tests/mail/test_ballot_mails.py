"""Ballot mails through the gateway: the subject names the community, the poll's number, its question and its deadline;
the ballots of one poll are one thread with the community's List-Id; the Reply-To votes — a plain reply `2 1 3` on a
ranked poll, `1 oui, 2 peut-être, 3 non` or `1 3 peut-être 2` on a date poll, a number on a single-choice one — and
the options are listed once (links for single and multiple choice, numbers for ranked and date polls)."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.console import ConsoleChat
from models import Ballot, Person, VotePoll
from scheduler.jobs import VotesJob
from tests.mail.conftest import DOMAIN, Relais

THREAD = "<relais.poll.{id}.usine-vivante@" + DOMAIN + ">"


async def ballots_to(relais: Relais, address: str, question: str, count: int = 1):
    return await relais.wait_mail(count, predicate=lambda m: address in m.rcpt_tos and question in str(m["Subject"]))


async def reply(relais: Relais, mail, sender: str, text: str, n: int) -> None:
    """A plain reply from a mail client: to the Reply-To, in the thread, the ballot quoted below."""
    quoted = "\n".join("> " + line for line in mail.message.get_body(("plain",)).get_content().splitlines()[:5])
    await relais.send(f"From: {sender}\nTo: {mail['Reply-To']}\nSubject: Re: {mail['Subject']}\nIn-Reply-To: {mail['Message-ID']}\n"
                      f"References: {mail['References']} {mail['Message-ID']}\nMessage-ID: <r{n}@example.org>\n\n{text}\n\n{quoted}\n",
                      mail_from=sender, to=[mail["Reply-To"]])
    await relais.settle()


async def choice_of(poll: VotePoll, person: Person):
    return await Ballot.filter(poll_id=poll.id, voter=f"p{person.id}").first().values_list("choice", flat=True)


async def test_a_ranked_ballot_is_one_thread_and_a_plain_reply_ranks(relais: Relais):
    jean = await relais.person_with_email("Jean", "jean@example.org")
    await ConsoleChat(relais.app.console, "me").exchange(
        'sondage "Quel nom pour la bière ?" "La Dombes" "L\'Étang" "La Brume" classement jusqu\'au 20 décembre')
    poll = await VotePoll.get(number=1)
    await relais.settle()
    [ballot] = await ballots_to(relais, "jean@example.org", "Quel nom")
    assert ballot["Subject"] == "[Tiers-lieu de l'Usine Vivante] Sondage #1\u202f: Quel nom pour la bière ? — jusqu'au 20 décembre 2026"
    assert ballot["List-Id"].endswith(f"<usine-vivante.{DOMAIN}>")
    assert THREAD.format(id=poll.id) in ballot["References"]
    assert ballot["Reply-To"].startswith("relais+v") and ballot["Reply-To"].endswith(f"@{DOMAIN}")
    text = ballot.message.get_body(("plain",)).get_content()
    for option in ("La Dombes", "L'Étang", "La Brume"):
        assert text.count(option) == 1, f"{option} listed once: {text}"
    assert "1. La Dombes" in text and "comme 2 1 3" in text
    # The nudge, a day before the close, is in the same thread.
    relais.clock.now = poll.closes_at - timedelta(hours=20)
    await VotesJob(relais.app.services.vote_notices, relais.app.services.meetings).tick()
    await relais.settle()
    [_, nudge] = await ballots_to(relais, "jean@example.org", "Quel nom", 2)
    assert THREAD.format(id=poll.id) in nudge["References"] and nudge["Message-ID"] != ballot["Message-ID"]
    await reply(relais, nudge, "jean@example.org", "2 1 3", 1)
    assert await choice_of(poll, jean) == [2, 1, 3]
    [answer] = await relais.wait_mail(predicate=lambda m: "jean@example.org" in m.rcpt_tos and "Re:" in str(m["Subject"]))
    assert "Vote enregistré sur le sondage #1" in answer.message.get_body(("plain",)).get_content().replace("\u202f", " ")


async def test_a_date_ballot_answered_in_words(relais: Relais):
    jean = await relais.person_with_email("Jean", "jean@example.org")
    await ConsoleChat(relais.app.console, "me").exchange('sondage-date "Journée chantier" "12 décembre" "13 décembre" "19 décembre"')
    poll = await VotePoll.get(number=1)
    await relais.settle()
    [ballot] = await ballots_to(relais, "jean@example.org", "Journée chantier")
    assert ballot["Subject"] == "[Tiers-lieu de l'Usine Vivante] Sondage #1\u202f: Journée chantier"  # no deadline: none said
    text = ballot.message.get_body(("plain",)).get_content()
    assert "1. samedi 12 décembre 2026" in text and text.count("13 décembre") == 1 and "1 oui, 2 peut-être, 3 non" in text
    await reply(relais, ballot, "jean@example.org", "1 oui, 2 peut-être, 3 non", 1)
    assert await choice_of(poll, jean) == {"yes": [1], "maybe": [2]}
    await reply(relais, ballot, "jean@example.org", "1 3 peut-être 2", 2)  # the other way to write it replaces it
    assert await choice_of(poll, jean) == {"yes": [1, 3], "maybe": [2]}
    assert await Ballot.filter(poll_id=poll.id).count() == 1


async def test_a_single_choice_ballot_lists_each_option_once_as_its_link(relais: Relais):
    jean = await relais.person_with_email("Jean", "jean@example.org")
    await Person.filter(id=jean.id).update(locale="en")
    await ConsoleChat(relais.app.console, "me").exchange('sondage "Which day?" "Monday" "Friday" jusqu\'au 20 décembre')
    poll = await VotePoll.get(number=1)
    await relais.settle()
    [ballot] = await ballots_to(relais, "jean@example.org", "Which day")
    assert ballot["Subject"] == "[Tiers-lieu de l'Usine Vivante] Poll #1: Which day? — until December 20, 2026"
    text = ballot.message.get_body(("plain",)).get_content()
    html = ballot.message.get_body(("html",)).get_content()
    assert text.count("Monday") == 1 and text.count("Friday") == 1  # the choices, each with its link
    assert html.count(">Monday<") == 1 and "reply to this mail with its number" in text
    await reply(relais, ballot, "jean@example.org", "2", 1)
    assert await choice_of(poll, jean) == [2]
    await reply(relais, ballot, "jean@example.org", "help", 2)  # not a ballot: the command runs, the vote stays
    assert await choice_of(poll, jean) == [2]
