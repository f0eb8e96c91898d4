"""Links and replies of mails as a reader meets them: « Voir le projet » opens the project (its public page when the
community has pages, else a page showing it) without a button to press, while a link that changes something still
asks; a prompt mail has a Reply-To that answers it (even from a client that drops In-Reply-To) and says « Répondez à
ce message » rather than « tapez /annuler »."""

from __future__ import annotations

import re

import aiohttp

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from bot.core.replies import Choice
from models import Account, Ballot, Follow, NextStep, Project, Prompt, PromptStatus
from tests.mail.conftest import DOMAIN, Relais
from tests.mail.forms import buttons, press


def choice_url(text: str, label: str) -> str:
    """The signed link under a choice of a mail's text: `n) label` then the URL on the next line."""
    found = re.search(rf"\d\) {re.escape(label)}\r?\n\s+(\S+)", text)
    assert found, f"no choice {label!r} in {text[:600]}"
    return found.group(1)


async def news_mail(relais: Relais) -> str:
    person = await relais.person_with_email("Jean", "jean@example.org")
    await Follow.create(person=person, project_id=(await NextStep.filter(project__slug="dombes-brasserie").first()).project_id)
    await ConsoleChat(relais.app.console, "camille").exchange("nouvelle dombes-brasserie Le brassin n°2 est en cuve")
    [mail] = await relais.wait_mail(to=["jean@example.org"])
    return mail.message.get_body(("plain",)).get_content()


async def test_see_the_project_opens_it_and_stop_following_still_asks(relais: Relais):
    text = await news_mail(relais)
    see, stop = choice_url(text, "Voir le projet"), choice_url(text, "Ne plus suivre")
    async with aiohttp.ClientSession() as http:
        async with http.get(see, allow_redirects=False) as page:
            body = await page.text()
            assert page.status == 200, body
        assert "<h1>Brasserie de la Dombes</h1>" in body and "Une nouvelle gamme de bières bio" in body  # the project itself
        # Nothing to confirm: the only buttons are the project's own choices (to stop following it…), none primary.
        assert "Voir le projet" not in buttons(body) and "Ne plus suivre" in buttons(body)
        assert 'type="submit">' not in body and body.count('class="secondary"') == len(buttons(body))
        async with http.get(stop, allow_redirects=False) as page:
            assert fr("Ne plus suivre Brasserie de la Dombes ?") in (await page.text())  # a change: asked first
        assert await Follow.filter(person__display_name="Jean").count() == 1
        # With the community's pages on, the same link opens its public page.
        await ConsoleChat(relais.app.console, "me").exchange("pages oui")
        async with http.get(see, allow_redirects=False) as page:
            assert page.status == 302 and page.headers["Location"] == (
                f"{relais.web_url}/c/usine-vivante/dombes-brasserie?lang=fr")
        status, body = await press(http, stop)
        assert status == 200 and "Vous ne suivez plus Brasserie de la Dombes" in body


async def test_the_prompt_mail_answers_by_its_reply_to_and_says_so(relais: Relais):
    louise = await relais.person_with_email("Louise M.", "louise@example.org", console=False)
    ressourcerie = (await NextStep.filter(project__slug="ressourcerie-creative").first()).project_id
    await (await Project.get(id=ressourcerie)).referents.add(louise)
    await ConsoleChat(relais.app.console, "me").exchange("relancer ressourcerie-creative")
    [mail] = await relais.wait_mail(to=["louise@example.org"])
    text = mail.message.get_body(("plain",)).get_content()
    assert "Répondez à ce message" in text and "/annuler" not in text.split("--")[0], text
    assert "Organiser le premier atelier de réemploi" in text  # the next step as it stands
    assert mail["Reply-To"] and mail["Reply-To"].endswith(f"@{DOMAIN}") and mail["Reply-To"].startswith("relais+")
    # A reply to that address with no In-Reply-To nor References (some webmails) is still the answer, even when it starts
    # like a command.
    await relais.send(f"From: Louise <louise@example.org>\nTo: {mail['Reply-To']}\nSubject: Re: {mail['Subject']}\n"
                      "Message-ID: <r1@example.org>\n\nProjet : atelier de réemploi le 12 décembre, déjà sur la liste\n",
                      mail_from="louise@example.org", to=[mail["Reply-To"]])
    [understood] = await relais.wait_mail(predicate=lambda m: m["In-Reply-To"] == "<r1@example.org>")
    body = understood.message.get_body(("plain",)).get_content()
    assert "samedi 12 décembre 2026" in body, body
    assert (await Prompt.get(person_id=louise.id)).status == PromptStatus.UNDERSTOOD


async def test_see_the_polls_opens_them(relais: Relais):
    """« Voir les sondages » (a choice `polls`, as any mail may offer it) shows the open polls, each a button to open."""
    jean = await relais.person_with_email("Jean", "jean@example.org")
    account = await Account.get(person=jean)
    await ConsoleChat(relais.app.console, "me").exchange('sondage "Quel jour ?" "Lundi" "Vendredi"')
    composer = await relais.mail.ready()
    url = composer.link("pick", account.id, s=await relais.app.choices.store([Choice("Voir les sondages", "polls")]), i=0)
    async with aiohttp.ClientSession() as http:
        async with http.get(url, allow_redirects=False) as page:
            body = await page.text()
    assert page.status == 200 and "Sondages ouverts de Tiers-lieu de l'Usine Vivante" in body and "Quel jour" in body
    assert list(buttons(body)) == ["#1 Quel jour ?"] and 'class="secondary"' in body  # opening a poll, not confirming
    assert not await Ballot.exists()
