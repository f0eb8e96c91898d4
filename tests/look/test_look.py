"""What readers see, checked by parsing it back: the digest mail (headers, HTML structure, text part) and the link pages,
rendered by tests/look/shoot.py exactly as people get them; then the screenshots themselves, where Chromium is installed."""

from __future__ import annotations

import email
import email.policy
import re
import struct
import subprocess
import sys
from email.utils import parseaddr
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.look import shoot

COMMUNITY = "Tiers-lieu de l'Usine Vivante"
FOLLOWED = {"Brasserie de la Dombes", "Ressourcerie créative"}
BARE = {"suivre", "follow", "ne plus suivre", "stop following", "go", "ok", "ici", "here", "cliquez ici", "click here"}


class Tree(HTMLParser):
    """The few things the checks need: elements with their attributes and text, and the style sheets."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []  # {"tag", "attrs", "text", "inside": [enclosing elements]}
        self.styles: list[str] = []
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": "", "inside": list(self._open)}
        self.elements.append(element)
        if tag not in ("meta", "br", "link", "img", "input"):
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data
        if self._open and self._open[-1]["tag"] == "style":
            self.styles.append(data)

    def find(self, tag: str, **attrs) -> list[dict]:
        return [e for e in self.elements if e["tag"] == tag
                and all(value in e["attrs"].get(name, "").split() for name, value in attrs.items())]


def words(element: dict) -> str:
    return re.sub(r"[ \t\r\n]+", " ", element["text"]).strip()  # str.split() would also eat the narrow no-break spaces


@pytest.fixture(scope="module")
async def views(tmp_path_factory) -> dict[str, Path]:
    return await shoot.render(tmp_path_factory.mktemp("look"))


def mail(views, lang: str) -> email.message.EmailMessage:
    return email.message_from_bytes(views[f"digest-{lang}.eml"].read_bytes(), policy=email.policy.default)


@pytest.mark.parametrize("lang, dates", [("fr", "Semaine du 30 novembre au 6 décembre 2026"),
                                         ("en", "Week of November 30 to December 6, 2026")])
async def test_the_digest_is_a_responsive_mail_with_its_community_and_dates_in_a_header(views, lang, dates):
    """The HTML digest has a viewport, a header with the community's name and the week's dates, phone and dark styles,
    and no script, image or remote resource."""
    tree = Tree(views[f"digest-{lang}.html"].read_text())
    assert any(m["attrs"].get("name") == "viewport" and "width=device-width" in m["attrs"]["content"] for m in tree.find("meta"))
    assert tree.find("html")[0]["attrs"]["lang"] == lang
    header = tree.find("td", **{"class": "head"})[0]
    assert words(tree.find("h1")[0]) == COMMUNITY and dates in words(header)
    sheet = " ".join(tree.styles)
    assert "@media (prefers-color-scheme: dark)" in sheet and "@media (max-width:" in sheet
    assert not tree.find("script") and not tree.find("img") and not tree.find("link") and not tree.find("iframe")
    assert all(a["attrs"]["href"].startswith("http://127.0.0.1:") for a in tree.find("a"))  # Relais' own links, nothing else
    # What must survive a client that drops <style> is inline: the header's colours, every card, every button.
    assert "background: #0b57d0" in header["attrs"]["style"]
    assert all("border" in card["attrs"].get("style", "") for card in tree.find("div", **{"class": "card"}))
    assert all("background: #0b57d0" in a["attrs"].get("style", "") for a in tree.find("a", **{"class": "btn"}))


@pytest.mark.parametrize("lang, new", [("fr", "nouveau projet"), ("en", "new project")])
async def test_each_followed_project_is_a_card_with_its_news_and_next_step_and_is_never_marked_new(views, lang, new):
    """One card per followed project (with an unfollow link naming it), the next step and its date highlighted, the
    overdue one flagged; only the project created this week says it is new."""
    tree = Tree(views[f"digest-{lang}.html"].read_text())
    cards = tree.find("div", **{"class": "card"})
    followed = [c for c in cards if "/d/unfollow." in _links(tree, c)]
    assert {words(next(e for e in tree.find("h3") if within(e, c))) for c in followed} == FOLLOWED
    assert all(new not in words(c).lower() for c in followed)
    others = [c for c in cards if c not in followed]
    assert [words(c) for c in others if new in words(c).lower()] and len(others) == 1  # the new project, and only it
    steps = tree.find("div", **{"class": "step"})
    assert len(steps) == 2 and len([s for s in steps if "late" in s["attrs"]["class"].split()]) == 1
    late = next(s for s in steps if "late" in s["attrs"]["class"].split())
    assert ("En retard" if lang == "fr" else "Overdue") in words(late) and "#b3261e" in late["attrs"]["style"]


def within(element: dict, container: dict) -> bool:
    return any(outer is container for outer in element["inside"])


def _links(tree: Tree, container: dict) -> str:
    return " ".join(a["attrs"]["href"] for a in tree.find("a") if within(a, container))


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_every_link_of_the_digest_says_what_it_does(views, lang):
    """No bare "Suivre"/"Follow": each follow or unfollow link names its project, and the unsubscribe link its community."""
    tree = Tree(views[f"digest-{lang}.html"].read_text())
    links = tree.find("a")
    assert links and all(words(a).lower() not in BARE for a in links)
    acts = []
    for a in links:
        href, text = a["attrs"]["href"], words(a)
        act, *fields = href.rsplit("/", 1)[1].split(".") if "/d/" in href else ("",)
        acts.append(act)
        if act in ("follow", "unfollow"):  # <act>.<who>.<community>.<project>.<option>.<expiry>.<signature>
            assert any(title in text for title in _titles()[fields[2]]), (text, href)
        if act == "off":
            assert COMMUNITY in text
    assert {"follow", "unfollow", "off"} <= set(acts)


def _titles() -> dict[str, tuple[str, ...]]:
    from bot.services.demo import PROJECTS

    return {slug: (title,) for slug, title, *_ in PROJECTS} | {"jardin-tanneurs": ("Jardin partagé des Tanneurs",)}


@pytest.mark.parametrize("lang, subject", [
    ("fr", f"{COMMUNITY}\u202f: semaine du 30 novembre au 6 décembre"),
    ("en", f"{COMMUNITY}: week of November 30 to December 6")])
async def test_the_mail_headers_and_the_text_part(views, lang, subject):
    """From is the community, Date says +0000, the subject says the dates, Content-Language is set, and the text part keeps
    the "-- " signature separator and suggests following a project the reader does not follow."""
    message = mail(views, lang)
    assert message["Subject"] == subject
    assert parseaddr(message["From"])[0] == COMMUNITY and message["Date"].endswith(" +0000")
    assert message["Content-Language"] == lang
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "\n-- \n" in text and text.index(COMMUNITY) < text.index("\n-- \n")
    assert all(title in text for title in FOLLOWED) and "⚠" in text
    example = "« suivre conciergerie-rurale »" if lang == "fr" else "“follow conciergerie-rurale”"
    assert example in text and "dombes-brasserie »" not in text and "dombes-brasserie”" not in text
    assert text.count("nouveau projet" if lang == "fr" else "new project") == 2  # the opening count and the new project


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_the_link_pages_say_in_words_what_happens(views, lang):
    """The follow page names the project and the address with the action's button; after an unsubscribe a button undoes
    it; an invalid link says why and where to write instead; every page fits phones and dark mode, with no script."""
    pages = {what: Tree(views[f"page-{what}-{lang}.html"].read_text()) for what in ("follow", "digest-off", "unsubscribed", "invalid")}
    for tree in pages.values():
        assert any(m["attrs"].get("name") == "viewport" for m in tree.find("meta")) and not tree.find("script")
        assert "prefers-color-scheme: dark" in " ".join(tree.styles) and "max-width: 520px" in " ".join(tree.styles)
        assert tree.find("html")[0]["attrs"]["lang"] == lang
    fr = lang == "fr"
    follow = pages["follow"]
    assert words(follow.find("h1")[0]) == ("Suivre Conciergerie rurale\u202f?" if fr else "Follow Conciergerie rurale?")
    assert [words(b) for b in follow.find("button")] == ["Suivre" if fr else "Follow"]
    assert all(f["attrs"]["method"] == "post" for f in follow.find("form"))
    assert [words(b) for b in pages["digest-off"].find("button")] == ["Recevoir de nouveau la lettre" if fr else "Get the digest again"]
    assert [words(b) for b in pages["unsubscribed"].find("button")] == ["Recevoir de nouveau les courriels" if fr else "Get the mails again"]
    invalid = pages["invalid"]
    assert not invalid.find("form") and [a["attrs"]["href"] for a in invalid.find("a")] == ["mailto:relais@relais.example"]
    assert words(invalid.find("h1")[0]) == ("Ce lien ne fonctionne pas" if fr else "This link does not work")


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


async def test_the_screenshot_script_writes_pictures_at_both_widths(tmp_path):
    """With Chromium installed, tests/look/shoot.py writes a non-empty PNG of the digest and a page at 1000 and 400 px."""
    if shoot.chromium() is None:
        reason = "Chromium is not installed (apt-get install chromium): no screenshots taken"
        print(reason)
        pytest.skip(reason)
    run = subprocess.run([sys.executable, str(Path(shoot.__file__)), str(tmp_path), "--only", "digest-fr", "page-follow-en",
                          "--modes", "light", "dark"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    for view in ("digest-fr", "page-follow-en"):
        for width in shoot.WIDTHS:
            for mode in ("light", "dark"):
                png = tmp_path / f"{view}-{width}-{mode}.png"
                assert png.exists() and png.stat().st_size > 5000, png
                assert _png_size(png)[0] == width
    # Dark mode really is dark: the pictures differ (a page that ignored it would come out the same).
    assert (tmp_path / "digest-fr-400-light.png").read_bytes() != (tmp_path / "digest-fr-400-dark.png").read_bytes()
