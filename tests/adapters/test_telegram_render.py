"""The Telegram renderer and menu are pure: a Reply gives exactly these HTML messages, keyboards and commands."""

from __future__ import annotations

from bot.adapters.telegram import menu
from bot.adapters.telegram.render import LIMIT, ChoiceData, length, marked, render, toast
from bot.core.commands import Registry
from bot.core.i18n import Catalogs
from bot.core.replies import Attachment, LinkButton, Progress, Reply, bold, code, italic, link
from bot.handlers import MODULES
from tests.peers.telegram_api import parse_html


def buttons(rendered) -> list[list[tuple[str, str]]]:
    """Each row as (label, callback data or url)."""
    if rendered.markup is None:
        return []
    return [[(b["text"], b.get("callback_data") or b.get("url")) for b in row] for row in rendered.markup["inline_keyboard"]]


def visible(html: str) -> str:
    """What Telegram shows: parsed by the emulator's Bot API HTML parser, which raises on any malformed markup."""
    text, _ = parse_html(html, lambda user_id: None)
    return text


def test_paragraphs_lists_styles_and_escaping():
    reply = Reply().para("Tom & Jerry <3 ", bold("R&D"), " ", italic("now"), " ", code("/follow x"), " ",
                         link("site", 'https://ex.org/?a=1&b="2"'))
    reply.items([(bold("A"), " — one"), "two"], title="List <x>")
    [message] = render(reply, username="relais_bot", keyboard=7)
    assert message.html == (
        'Tom &amp; Jerry &lt;3 <b>R&amp;D</b> <i>now</i> <code>/follow x</code> '
        '<a href="https://ex.org/?a=1&amp;b=&quot;2&quot;">site</a>\n\n'
        '<b>List &lt;x&gt;</b>\n• <b>A</b> — one\n• two')
    assert visible(message.html) == 'Tom & Jerry <3 R&D now /follow x site\n\nList <x>\n• A — one\n• two'
    assert message.markup is None


def test_choices_become_callback_buttons_short_ones_paired():
    reply = Reply().para("Vote?").choice("Yes", "poll vote 1").choice("No", "poll vote 2").choice("A much longer label here", "help")
    [message] = render(reply, keyboard=7)
    assert buttons(message) == [[("Yes", "c:7:0"), ("No", "c:7:1")], [("A much longer label here", "c:7:2")]]
    assert ChoiceData.unpack("c:7:2") == ChoiceData(k=7, i=2)
    assert len(ChoiceData(k=2**62, i=99).pack().encode()) <= 64


def test_error_replies_are_flagged():
    [message] = render(Reply(error=True).para("Unknown command “x”."))
    assert message.html == "⚠️ Unknown command “x”."


def test_follow_choice_is_a_deep_link_shared_in_private_and_a_url_button_in_groups():
    reply = Reply().para(bold("Brasserie"), " (dombes-brasserie)").choice("Follow", "follow dombes-brasserie")
    [private] = render(reply, username="relais_bot", keyboard=3)
    assert private.html == ('<b>Brasserie</b> (dombes-brasserie)\n\n🔗 <a href="https://t.me/relais_bot?start=follow-dombes-brasserie">'
                            't.me/relais_bot?start=follow-dombes-brasserie</a>')
    assert buttons(private) == [[("Follow", "c:3:0")]]
    [group] = render(reply, username="relais_bot", group=True, keyboard=None)
    assert group.html == "<b>Brasserie</b> (dombes-brasserie)"
    assert buttons(group) == [[("Follow", "https://t.me/relais_bot?start=follow-dombes-brasserie")]]
    [unknown_bot] = render(reply, username="", group=True, keyboard=3)
    assert buttons(unknown_bot) == [[("Follow", "c:3:0")]]


def test_a_link_button_becomes_a_url_button_and_other_elements_their_text():
    reply = (Reply().para("Pledge now:").add(LinkButton("Pledge on HelloAsso", "https://helloasso.example/p/1"))
             .add(Progress(4800, 12000, "€", "26 jours restants", "fr")).add(Attachment("x.ics", "text/calendar", b"X"))
             .choice("Undo", "unfollow x"))
    [message] = render(reply, keyboard=9)
    assert visible(message.html) == "Pledge now:\n\n▓▓▓▓░░░░░░ 40\u202f% — 4\u202f800\u202f€ / 12\u202f000\u202f€ — 26 jours restants"
    assert buttons(message) == [[("Undo", "c:9:0")], [("Pledge on HelloAsso", "https://helloasso.example/p/1")]]
    assert "x.ics" not in message.html, "files are sent as documents, not as text"


def test_long_replies_split_between_paragraphs_with_the_keyboard_on_the_last():
    reply = Reply()
    for n in range(60):
        reply.items([(bold(f"Project {n}"), " — " + "x" * 60) for _ in range(2)], title=f"Section {n} & co")
    reply.choice("More", "projects")
    messages = render(reply, keyboard=1)
    assert len(messages) == 3
    texts = [visible(m.html) for m in messages]  # every part is well-formed HTML on its own
    assert all(length(t) <= LIMIT for t in texts)
    assert all(t.startswith("Section ") for t in texts), "a part starts at a paragraph, never inside one"
    sections = [f"Section {n} & co\n" + "\n".join([f"• Project {n} — " + "x" * 60] * 2) for n in range(60)]
    assert "\n\n".join(texts) == "\n\n".join(sections), "nothing lost, nothing repeated"
    assert [m.markup is not None for m in messages] == [False, False, True]


def test_a_paragraph_longer_than_a_message_is_cut_between_words_keeping_styles():
    words = " ".join(f"mot{n}" for n in range(2500))  # about 17,000 characters
    messages = render(Reply().para("Start ", bold(words), " end"))
    assert len(messages) == 5
    texts = [visible(m.html) for m in messages]
    assert all(length(t) <= LIMIT for t in texts)
    assert all(m.html.startswith("<b>") for m in messages[1:]), "the bold span is reopened in each part"
    assert " ".join(texts).split() == f"Start {words} end".split(), "no word is lost or cut in two"


def test_a_long_line_counts_utf16_units():
    emoji = "🌱" * 3000  # 2 UTF-16 units each: 6,000 units, so two messages
    messages = render(Reply().para(emoji))
    assert [length(visible(m.html)) for m in messages] == [4096, 1904]


def test_the_chosen_answer_is_noted_under_the_keyboard_message():
    assert marked("<b>Projects</b>", 8, "Brasserie & co") == "<b>Projects</b>\n\n✓ Brasserie &amp; co"
    assert marked("Vote", 4, "Yes", who="Ana <3") == "Vote\n\n✓ Yes — Ana &lt;3"
    assert marked("x" * 4090, 4090, "Yes") is None


def test_a_toast_only_for_errors():
    assert toast(Reply().para("Done")) is None
    assert toast(None) is None
    assert toast(Reply(error=True).para("Only a facilitator can do that.").para("Usage: /role")) == "Only a facilitator can do that."


def test_menu_names_fit_telegram_and_resolve_back_to_the_same_command():
    registry, catalogs = Registry(MODULES), Catalogs()
    for locale in ("fr", "en"):
        for group in (False, True):
            entries = menu.commands(registry, catalogs, locale, group)
            assert entries and len({e.command for e in entries}) == len(entries)
            for entry in entries:
                assert menu.NAME.match(entry.command) and 1 <= len(entry.description) <= 256
                assert registry.get(entry.command) is not None
    assert menu.menu_name(registry.get("project add"), "en", registry) is None, "subcommands are not menu entries"
    assert menu.menu_name(registry.get("role"), "fr", registry) == "role", "rôle, folded"
    private = {e.command for e in menu.commands(registry, catalogs, "en", False)}
    group = {e.command for e in menu.commands(registry, catalogs, "en", True)}
    assert "role" in private and "role" not in group and "projects" in group
