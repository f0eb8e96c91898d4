"""Pure parts of the email channel: signed tokens, reading received mail, rendering Relais' mail, command lines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest

from bot.core.commands import Registry
from bot.core.i18n import Catalogs
from bot.core.incoming import Origin
from bot.core.render import to_text
from bot.core.replies import Choice, Reply, bold, link
from bot.handlers import MODULES
from mail import reading
from mail.commands import command_lines, is_number, summary
from mail.render import Envelope, render, reply_subject, subject_for
from mail.tokens import LinkError, Tokens
from tests.conftest import Clock
from tests.mail.conftest import crlf

REGISTRY = Registry(MODULES)
EN = Catalogs().get("en")


# --- tokens --------------------------------------------------------------------------------------------------

def test_address_tokens_survive_lower_casing_and_fit_a_local_part():
    clock = Clock()
    tokens = Tokens("secret", clock)
    token = tokens.address_token("o", 123456789, days=30)
    assert len("relais+" + token) <= 64  # RFC 5321 limit of a local part
    read = tokens.read_address_token(token.upper())  # some MTAs change the case of local parts
    assert read is not None and (read.kind, read.ids, read.expired) == ("o", (123456789,), False)
    assert tokens.read_address_token(tokens.address_token("c", 7, 12, days=7)).ids == (7, 12)


def test_forged_and_tampered_address_tokens_are_refused():
    clock = Clock()
    token = Tokens("secret", clock).address_token("m", 42, days=30)
    assert Tokens("another secret", clock).read_address_token(token) is None
    body, _, sig = token.rpartition(".")
    assert Tokens("secret", clock).read_address_token(body.replace("m16", "m17") + "." + sig) is None
    assert Tokens("secret", clock).read_address_token("m16.zzzz." + "a" * 16) is None
    assert Tokens("secret", clock).read_address_token("garbage") is None


def test_address_tokens_expire_on_the_application_clock():
    clock = Clock()
    tokens = Tokens("secret", clock)
    token = tokens.address_token("c", 5, 6, days=7)
    clock.now += timedelta(days=6)
    assert not tokens.read_address_token(token).expired
    clock.now += timedelta(days=2)
    assert tokens.read_address_token(token).expired


def test_link_tokens_carry_a_payload_and_expire():
    clock = Clock()
    tokens = Tokens("secret", clock)
    token = tokens.link({"k": "cmd", "a": 3, "c": "follow dombes-brasserie"})
    assert tokens.read_link(token, timedelta(days=1)) == {"k": "cmd", "a": 3, "c": "follow dombes-brasserie"}
    clock.now += timedelta(days=2)
    with pytest.raises(LinkError) as old:
        tokens.read_link(token, timedelta(days=1))
    assert old.value.expired
    with pytest.raises(LinkError) as forged:
        Tokens("other", clock).read_link(token, timedelta(days=30))
    assert not forged.value.expired


# --- reading -------------------------------------------------------------------------------------------------

FRENCH_REPLY = """\
From: =?utf-8?q?Ana=C3=AFs_Martin?= <Anais@Example.org>
To: relais+token@relais.test
Subject: Re: =?utf-8?q?Vous_suivez_d=C3=A9sormais_Brasserie_de_la_Dombes?=
Message-ID: <CAF1@mail.example.org>
In-Reply-To: <relais.m3.1@relais.test>
References: <relais.o1.1@relais.test> <relais.m3.1@relais.test>
Content-Language: fr-FR
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

suivre ressourcerie-creative
projets

Merci !
--
Anaïs Martin
Tiers-lieu de l'Usine Vivante

Le sam. 21 nov. 2026 à 11:00, Relais <relais@relais.test> a écrit :
> Vous suivez désormais Brasserie de la Dombes.
> 1) Annuler
"""


def test_a_french_reply_keeps_only_what_was_written_on_top():
    mail = reading.read(crlf(FRENCH_REPLY))
    assert (mail.sender, mail.display_name) == ("anais@example.org", "Anaïs Martin")
    assert mail.subject == "Re: Vous suivez désormais Brasserie de la Dombes"
    assert mail.text == "suivre ressourcerie-creative\nprojets\n\nMerci !"
    assert mail.message_id == "<CAF1@mail.example.org>"
    assert mail.references == ["<relais.o1.1@relais.test>", "<relais.m3.1@relais.test>"]
    assert mail.language == "fr-FR"


def test_an_english_reply_loses_its_signature_and_quote():
    mail = reading.read(crlf("From: ana@example.org\nSubject: Re: news\n\nfollow conciergerie-rurale\n\nBest regards,\nAna\n\n"
                             "On Sat, Nov 21, 2026 at 11:00 AM Relais <relais@relais.test> wrote:\n> 1) Undo\n"))
    assert mail.text == "follow conciergerie-rurale"


HTML_ONLY = """\
From: Jules <jules@example.org>
Subject: commandes
MIME-Version: 1.0
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<html><head><style>p {color: red}</style></head><body><div>suivre conciergerie-rurale<br>projets</div>=
<div>Bonne journ=E9e</div><blockquote>Ancien message cit=E9</blockquote></body></html>
"""


def test_html_only_mail_is_converted_to_text_and_quotes_dropped():
    mail = reading.read(crlf(HTML_ONLY))
    assert mail.html_only
    assert mail.text == "suivre conciergerie-rurale\nprojets"


ATTACHMENT = """\
From: ana@example.org
Subject: with a file
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XX"

--XX
Content-Type: multipart/alternative; boundary="YY"

--YY
Content-Type: text/plain; charset=utf-8

projets
--YY
Content-Type: text/html; charset=utf-8

<p>projets in HTML</p>
--YY--
--XX
Content-Type: text/plain; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"

suivre dombes-brasserie
--XX
Content-Type: application/pdf; name="plan.pdf"
Content-Disposition: attachment; filename="plan.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K
--XX--
"""


def test_a_multipart_mail_reads_its_text_part_and_ignores_attachments():
    mail = reading.read(crlf(ATTACHMENT))
    assert mail.text == "projets"
    assert not mail.html_only


def test_8bit_and_encoded_word_headers_are_decoded():
    utf8 = reading.read(crlf("From: Hélène Dupré <helene@example.org>\nSubject: Café crème\n\nx\n"))
    assert (utf8.display_name, utf8.subject) == ("Hélène Dupré", "Café crème")
    latin1 = reading.read(crlf("From: Hélène <helene@example.org>\nSubject: déjà vu\n\ncorps accentué\n".encode("latin-1")))
    assert (latin1.display_name, latin1.subject, latin1.text) == ("Hélène", "déjà vu", "corps accentué")
    words = reading.read(crlf("From: =?iso-8859-1?q?Ren=E9?= <rene@example.org>\nSubject: =?utf-8?b?w6l0YXBlIHN1aXZhbnRl?=\n\nx\n"))
    assert (words.display_name, words.subject) == ("René", "étape suivante")


def test_an_8bit_subject_of_utf8_with_one_invalid_byte_stays_utf8():
    """Mostly UTF-8 with a stray byte: "été" with one "�", not Latin-1 mojibake ("Ã©tÃ©"); Windows-1252 text stays so."""
    mostly = reading.read(crlf(b"From: ana@example.org\nSubject: \xc3\xa9t\xc3\xa9 \xe0 Lyon\n\nsuivi \xc3\xa9t\xc3\xa9\xff\n"))
    assert (mostly.subject, mostly.text) == ("été \ufffd Lyon", "suivi été\ufffd")
    cp1252 = reading.read(crlf("From: ana@example.org\nSubject: “déjà” vu – oui\n\nx\n".encode("cp1252")))
    assert cp1252.subject == "“déjà” vu – oui"


def test_malformed_mime_is_read_without_failing():
    no_boundary = reading.read(crlf("From: ana@example.org\nSubject: broken\nContent-Type: multipart/mixed\n\nprojets\n"))
    assert no_boundary.sender == "ana@example.org"
    bad_base64 = reading.read(crlf("From: ana@example.org\nContent-Type: text/plain; charset=utf-8\n"
                                   "Content-Transfer-Encoding: base64\n\ncHJvamV0cw=@@@\n"))
    assert bad_base64.sender == "ana@example.org"
    unknown_charset = reading.read(crlf("From: ana@example.org\nContent-Type: text/plain; charset=x-klingon\n\nprojets\n"))
    assert unknown_charset.text == "projets"
    headless = reading.read(b"\r\n\r\nonly a body\r\n")
    assert headless.sender == "" and headless.text == "only a body"


def test_loop_headers_are_read():
    mail = reading.read(crlf("From: ana@example.org\nAuto-Submitted: Auto-Replied; owner-email=ana@example.org\n"
                             "Precedence: Bulk\nList-Id: Discuss <discuss.lists.relais.test>\nX-Autoreply: yes\n\nI am away\n"))
    assert (mail.auto_submitted, mail.precedence, mail.list_id) == ("auto-replied", "bulk", "discuss.lists.relais.test")
    assert "x-autoreply" in mail.headers


# --- render (golden) -----------------------------------------------------------------------------------------

GOLDEN_TEXT = """\
📰 Brasserie de la Dombes — news from Camille

We passed 40 %. See the campaign <https://example.org/c?a=1&b=2>.

Next
  • one
  • two <b>

1) See the project
   http://w/l/1
2) Stop following
   http://w/l/2

Reply to this mail with the number of your choice, or follow a link.

-- 
Relais, the assistant of your community. Write to it: reply, or send commands such as “help”.
Stop these mails: http://w/l/u
"""

GOLDEN_HTML_BODY = (
    '<p>📰 <b>Brasserie de la Dombes</b> — news from Camille</p><p>We passed 40 %. See '
    '<a href="https://example.org/c?a=1&amp;b=2">the campaign</a>.</p><p><b>Next</b></p><ul><li>one</li><li>two &lt;b&gt;</li></ul>\n'
    '<ol style="padding-left: 1.4em;">\n'
    '<li style="margin: 0.3em 0;"><a href="http://w/l/1" style="color: #0b57d0;">See the project</a></li>\n'
    '<li style="margin: 0.3em 0;"><a href="http://w/l/2" style="color: #0b57d0;">Stop following</a></li>\n'
    '</ol>\n<p style="color: #555;">Reply to this mail with the number of your choice, or follow a link.</p>\n')


def sample() -> tuple[Reply, Envelope]:
    reply = (Reply().para("📰 ", bold("Brasserie de la Dombes"), " — news from Camille")
             .para("We passed 40 %. See ", link("the campaign", "https://example.org/c?a=1&b=2"), ".")
             .items(["one", "two <b>"], title="Next")
             .choice("See the project", "project dombes-brasserie").choice("Stop following", "unfollow dombes-brasserie"))
    env = Envelope(sender="Relais <relais@relais.test>", to="ana@example.org", subject="📰 Brasserie de la Dombes — news",
                   message_id="<relais.o1.1@relais.test>", date=datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc), lang="en",
                   reply_to="relais+o1.x.y@relais.test", unsubscribe_url="http://w/l/u", choice_urls=("http://w/l/1", "http://w/l/2"),
                   loop="relais@relais.test")
    return reply, env


def test_render_golden_text_and_html():
    reply, env = sample()
    msg = render(reply, env, EN)
    assert msg.get_body(("plain",)).get_content() == GOLDEN_TEXT
    html = msg.get_body(("html",)).get_content()
    assert GOLDEN_HTML_BODY in html and html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<a href="http://w/l/u" style="color: #777;">Stop these mails</a>' in html
    assert [(k, str(v)) for k, v in msg.items() if k not in ("Content-Type", "MIME-Version")] == [
        ("From", "Relais <relais@relais.test>"), ("To", "ana@example.org"), ("Subject", "📰 Brasserie de la Dombes — news"),
        ("Date", "Sat, 21 Nov 2026 10:00:00 +0000"), ("Message-ID", "<relais.o1.1@relais.test>"),
        ("Reply-To", "relais+o1.x.y@relais.test"), ("Auto-Submitted", "auto-generated"), ("X-Loop", "relais@relais.test"),
        ("List-Unsubscribe", "<http://w/l/u>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("Content-Language", "en")]
    assert msg.get_content_type() == "multipart/alternative"
    assert render(reply, env, EN).as_bytes() == msg.as_bytes()  # same input, same bytes: a retried mail is the same mail


def test_render_of_a_reply_without_choices_or_links():
    reply = Reply().para("Done.")
    env = Envelope(sender="Relais <relais@relais.test>", to="ana@example.org", subject="Re: x", message_id="<a@b>",
                   date=datetime(2026, 11, 21, tzinfo=timezone.utc), in_reply_to="<q@x>", references=("<p@x>", "<q@x>"),
                   auto_replied=True)
    msg = render(reply, env, EN)
    assert msg.get_body(("plain",)).get_content() == (
        "Done.\n\n-- \nRelais, the assistant of your community. Write to it: reply, or send commands such as “help”.\n")
    assert (msg["In-Reply-To"], msg["References"], msg["Auto-Submitted"]) == ("<q@x>", "<p@x> <q@x>", "auto-replied")
    assert msg["List-Unsubscribe"] is None and msg["Reply-To"] is None


def test_a_reply_keeps_the_display_name_and_a_notification_carries_its_list_id():
    env = Envelope(sender="Relais <relais@relais.test>", to="zoe@example.org", to_name="Zoé Lopez, Lyon", subject="x",
                   message_id="<a@b>", date=datetime(2026, 11, 21, tzinfo=timezone.utc),
                   list_id="Tiers-lieu de l'Usine Vivante <usine-vivante.relais.test>")
    msg = render(Reply().para("Done."), env, EN)
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert (parsed["To"].addresses[0].display_name, parsed["To"].addresses[0].addr_spec) == ("Zoé Lopez, Lyon", "zoe@example.org")
    assert parsed["List-Id"] == "Tiers-lieu de l'Usine Vivante <usine-vivante.relais.test>"


def test_subjects():
    assert subject_for(Reply().para("x" * 100), "Relais") == "x" * 77 + "…"
    assert subject_for(Reply(), "Relais") == "Relais"
    assert reply_subject("projets", "Relais") == "Re: projets"
    assert reply_subject("RE: projets", "Relais") == "RE: projets"
    assert reply_subject("", "Relais") == "Relais"


# --- command lines -------------------------------------------------------------------------------------------

def test_command_lines_take_the_subject_and_the_first_lines():
    lines = command_lines("projets", "Bonjour à tous,\nsuivre dombes-brasserie\nJe voudrais aussi\nfollow x\nmerci\nprojets", REGISTRY)
    assert lines.commands == [("projets", Origin.EMAIL), ("suivre dombes-brasserie", Origin.EMAIL), ("follow x", Origin.EMAIL)]
    assert lines.ignored == ["Je voudrais aussi"]
    reply = command_lines("Re: Vos projets", "projets", REGISTRY)
    assert reply.commands == [("projets", Origin.EMAIL)]


def test_a_lone_number_answers_the_choices_of_the_mail_replied_to():
    choices = [Choice("Undo", "unfollow dombes-brasserie"), Choice("See", "project dombes-brasserie")]
    assert command_lines("Re: x", "2\n", REGISTRY, choices).commands == [("project dombes-brasserie", Origin.BUTTON)]
    assert command_lines("Re: x", "3\n", REGISTRY, choices).commands == [("3", Origin.EMAIL)]  # no third choice
    assert is_number("1)\n") and not is_number("1 follow")


def test_nothing_like_a_command_runs_the_first_line_for_a_suggestion():
    lines = command_lines("Hello", "folow dombes-brasserie\nthanks", REGISTRY)
    assert lines.unknown_only and lines.commands == [("folow dombes-brasserie", Origin.EMAIL)] and lines.ignored == []
    prose = command_lines("Question", "Je voudrais suivre la brasserie\nC'est possible ?", REGISTRY)
    assert prose.commands == [("Je voudrais suivre la brasserie", Origin.EMAIL)] and prose.ignored == ["C'est possible ?"]
    assert command_lines("", "", REGISTRY).commands == [("help", Origin.EMAIL)]


def test_greetings_sign_offs_names_and_the_subject_are_not_listed_as_unknown_lines():
    """What people write around their commands (a greeting, a sign-off, their name, a subject that is no command) is
    passed over silently; only real prose is listed among the lines not taken for commands."""
    cases = [
        ("Bonjour\nsuivre dombes-brasserie\nMerci beaucoup !\nAna", "Ana Lopez"),
        ("Bonjour à tous,\nsuivre dombes-brasserie\nCordialement\nAna Lopez\nChargée de mission", "Ana Lopez"),
        ("Hello Relais,\nsuivre dombes-brasserie\nBest regards,\nAna", ""),
        ("Salut !\nsuivre dombes-brasserie\nBien à vous,\nA. Lopez", ""),
        ("suivre dombes-brasserie\nThanks\nAna", ""),
        ("suivre dombes-brasserie\nAna Lopez", ""),  # a lone name as the last line
        ("suivre dombes-brasserie\nAna\n06 12 34 56 78", "Ana Lopez"),  # the name starts a signature
    ]
    for text, name in cases:
        lines = command_lines("Une question pour Relais", text, REGISTRY, names=[name, "ana.lopez"])
        assert lines.commands == [("suivre dombes-brasserie", Origin.EMAIL)] and lines.ignored == [], (text, lines)
    kept = command_lines("Re: x", "suivre dombes-brasserie\nJe passe jeudi\nAna", REGISTRY, names=["Ana Lopez"])
    assert kept.ignored == ["Je passe jeudi"]


def test_a_line_close_to_a_command_is_run_for_the_core_to_suggest_the_command():
    """`folow x` among other commands is run (the core answers "did you mean /follow?"); prose is not."""
    lines = command_lines("", "Bonjour,\nfolow dombes-brasserie\nsuivre conciergerie-rurale\nJe viendrai jeudi", REGISTRY)
    assert lines.commands == [("folow dombes-brasserie", Origin.EMAIL), ("suivre conciergerie-rurale", Origin.EMAIL)]
    assert lines.ignored == ["Je viendrai jeudi"] and not lines.unknown_only


def test_outlook_separators_and_header_blocks_end_what_the_person_wrote():
    """Outlook quotes below "-----Message d'origine-----" or a "De : … Envoyé : …" block (often with no-break spaces
    before the colons): nothing of it is read, run or listed."""
    for quote in ("-----Message d'origine-----\nsuivre ressourcerie-creative\n",
                  "-----Original Message-----\nFrom: Relais\nsuivre ressourcerie-creative\n",
                  "De\u00a0: Relais <relais@relais.test>\nEnvoyé\u00a0: samedi 21 novembre 2026 11:00\nÀ\u00a0: Ana\n"
                  "Objet\u00a0: Vous suivez\n\nsuivre ressourcerie-creative\n",
                  "From: Relais <relais@relais.test>\nSent: Saturday, November 21, 2026 11:00\nTo: Ana\nSubject: x\n\n"
                  "suivre ressourcerie-creative\n"):
        mail = reading.read(crlf(f"From: ana@example.org\nSubject: RE: x\n\nsuivre dombes-brasserie\n\n{quote}"))
        assert mail.text == "suivre dombes-brasserie", quote


def test_a_lang_line_runs_first_so_the_whole_reply_is_in_that_language():
    lines = command_lines("help", "lang en\nprojets", REGISTRY)
    assert [line for line, _ in lines.commands] == ["lang en", "help", "projets"]


def test_choices_of_several_commands_sharing_a_label_say_which_command_they_answer():
    """Two "Undo" in one summary read "Undo — follow x" and "Undo — follow y"; a label used once is kept."""
    x = Reply().para("You now follow X.").choice("Undo", "unfollow x").choice("See X", "project x")
    y = Reply().para("You now follow Y.").choice("Undo", "unfollow y")
    out = summary([("follow x", x), ("follow y", y)], [], EN)
    assert [(c.label, c.command) for c in out.choices] == [
        ("Undo — follow x", "unfollow x"), ("See X", "project x"), ("Undo — follow y", "unfollow y")]
    assert "1) Undo — follow x" in to_text(out)


def test_summary_lists_what_was_done_what_failed_and_what_was_ignored():
    ok = Reply().para("You now follow X.").choice("Undo", "unfollow x")
    bad = Reply(error=True).para("No project “y”.")
    out = summary([("follow x", ok), ("follow y", bad)], ["Hello"], EN)
    text = to_text(out)
    assert text.startswith("I read 2 commands in your mail: 1 done, 1 failed.")
    assert "✓ follow x\n\nYou now follow X." in text and "✗ follow y\n\nNo project “y”." in text
    assert "Lines I did not take as commands:\n  • Hello" in text
    assert out.error and [c.command for c in out.choices] == ["unfollow x"]
    single = summary([("follow x", ok)], [], EN)
    assert to_text(single).startswith("You now follow X.") and not single.error
