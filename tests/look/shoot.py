"""What readers see, rendered and photographed: a week's digest of the demo community (whole mail, HTML and text) and
the link pages and the public pages, written as files, then screenshots with headless Chromium at 1000 and 400 px, light and dark.

Run: .venv/bin/python tests/look/shoot.py [out-dir, default data/look] [--only NAME ...] [--modes light dark]
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import shutil
import socket
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.incoming import Incoming  # noqa: E402
from bot.core.replies import Choice  # noqa: E402
from bot.services import demo  # noqa: E402
from bot.services import digest as d  # noqa: E402
from bot.services.calendar import week_key  # noqa: E402
from models import (  # noqa: E402
    Account,
    Comment,
    CommentKind,
    Community,
    Consent,
    Follow,
    Membership,
    NewsItem,
    NextStep,
    Person,
    Project,
    ProjectStatus,
    Role,
)

NOW = datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)  # Monday 08:00 in Paris: the digest of November 30 to December 6
READERS = {"fr": ("Jean", "jean@example.org"), "en": ("Sam", "sam@example.org")}
FOLLOWED = ("dombes-brasserie", "ressourcerie-creative")
WIDTHS = (1000, 400)
MODES = ("light", "dark")
# Headless Chromium photographs its window, not the whole page: tall enough for the longest view at each width.
HEIGHTS = {"digest": {1000: 1650, 400: 1750}, "page": {1000: 760, 400: 820}, "public": {1000: 1900, 400: 2600},
           "mail": {1000: 900, 400: 1100}, "report": {1000: 1500, 400: 2600}}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
# --force-dark-mode turns the browser's theme dark, which pages see as `prefers-color-scheme: dark` (checked with
# Chromium 156); it does not repaint pages itself, so what shows is the page's own dark style.
DARK_FLAGS = ["--force-dark-mode"]


def chromium() -> str | None:
    return next((found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _week(community: Community) -> None:
    """A week that shows everything a digest can: news, a next step set this week, an overdue one, a new project."""
    ressourcerie = await Project.get(community=community, slug="ressourcerie-creative")
    await NextStep.create(project=ressourcerie, text="Réserver la salle des fêtes pour l'atelier de réemploi",
                          due=(NOW - timedelta(days=3)).date(), created_at=NOW - timedelta(days=10))
    await NewsItem.create(project=ressourcerie, text="L'atelier du 12 décembre affiche complet : 18 inscrits, dont six élèves "
                          "du lycée agricole.", platform="console", created_at=NOW - timedelta(days=1))
    await Project.create(community=community, slug="jardin-tanneurs", title="Jardin partagé des Tanneurs", status=ProjectStatus.IDEA,
                         summary="Transformer la friche derrière l'ancienne tannerie en jardin partagé, avec l'école du quartier.",
                         created_at=NOW - timedelta(days=2))
    # A member's question answered by the referent and published this week, anonymously as its author chose.
    brasserie = await Project.get(community=community, slug="dombes-brasserie")
    camille = (await Account.get(platform="console", address="camille")).person_id
    ana = (await Account.get(platform="console", address="ana")).person_id
    await Comment.create(community=community, number=1, project=brasserie, kind=CommentKind.QUESTION, about_kind="project",
                         author_id=ana, text="La bière sera-t-elle aussi vendue à la ressourcerie ?", origin={},
                         answer="Oui, dès janvier : un présentoir près de la caisse, les bouteilles consignées.",
                         answered_by_id=camille, answered_at=NOW - timedelta(days=3), consent=Consent.ANONYMOUS,
                         publish_wanted=True, published_at=NOW - timedelta(days=2), created_at=NOW - timedelta(days=4))


async def _reader(community: Community, locale: str) -> Account:
    name, address = READERS[locale]
    person = await Person.create(display_name=name, locale=locale)
    account = await Account.create(person=person, platform="email", address=address, confirmed=True, preferred=True)
    await Membership.create(person=person, community=community, role=Role.OBSERVER)
    for slug in FOLLOWED:
        await Follow.create(person=person, project=await Project.get(community=community, slug=slug))
    return account


def _write(out: Path, name: str, text: str) -> Path:
    path = out / name
    path.write_text(text, encoding="utf-8")
    return path


async def render(out: Path) -> dict[str, Path]:
    """Every view as a file in `out`: digest-<lang>.eml/.html/.txt and page-<what>-<lang>.html; returns name → path."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="relais-look-"))
    port = _free_port()
    settings = Settings(data_dir=tmp, database_url=f"sqlite://{tmp / 'relais.sqlite3'}", log_format="text", log_level="WARNING",
                        secret_key="look", sections={"mail": {"domain": "relais.example", "listen": ""},
                                                     "web": {"web_listen": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}"}})
    app = App(settings, clock=lambda: NOW)
    await app.start()
    files: dict[str, Path] = {}
    try:
        community = await demo.seed("me", NOW)
        await _week(community)
        accounts = {locale: await _reader(community, locale) for locale in READERS}
        mailer = await app.digest_mailer()
        composer = await app.mail.ready()
        window = d.week_window(community, week_key(NOW.date()), NOW, NOW.date())
        prepared = await app.services.digest.prepare(window)
        recipients = {r.address: r async for chunk in app.services.digest.recipients(community) for r in chunk}
        await app.web.start()
        async with aiohttp.ClientSession() as http:
            for locale, account in accounts.items():
                digest = d.assemble(prepared, window, recipients[account.address])
                _, raw = mailer.compose(digest)
                message = email.message_from_bytes(raw, policy=email.policy.default)
                files[f"digest-{locale}.eml"] = out / f"digest-{locale}.eml"
                files[f"digest-{locale}.eml"].write_bytes(raw)
                files[f"digest-{locale}.html"] = _write(out, f"digest-{locale}.html", message.get_body(("html",)).get_content())
                files[f"digest-{locale}.txt"] = _write(out, f"digest-{locale}.txt", message.get_body(("plain",)).get_content())
                links = mailer.links_for(digest)
                pages = [("follow", "get", links.follow("conciergerie-rurale")),  # what a click in the digest opens
                         ("digest-off", "post", links.unsubscribe()),  # the digest's one-click unsubscribe, done
                         ("unsubscribed", "post", composer.link("unsub", account.id)),  # any mail's one-click unsubscribe, done
                         ("invalid", "get", links.follow("conciergerie-rurale").replace("/d/", "/d/x"))]
                # A read-only choice of a mail (« Voir le projet »), pages off: it opens the project, nothing to press.
                see = await app.choices.store([Choice("Voir le projet" if locale == "fr" else "See the project",
                                                        "project conciergerie-rurale")])
                pages.append(("read", "get", composer.link("pick", account.id, s=see, i=0)))
                for what, method, url in pages:
                    headers = {"Accept-Language": f"{locale};q=1, de;q=0.5"}
                    body = None
                    if method == "post":  # what a mail provider posts (RFC 8058's one-click)
                        headers["Content-Type"], body = "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"
                    async with http.request(method, url, headers=headers, data=body) as response:
                        files[f"page-{what}-{locale}.html"] = _write(out, f"page-{what}-{locale}.html", await response.text())
            # The community's public pages, turned on, with a campaign, a meeting and an open poll on them.
            await Community.filter(id=community.id).update(pages=True)
            for line in ('sondage "Quel nom pour le café ?" "Le Relais" "La Passerelle" "Chez nous"', "réunion fixer 15 janvier 19h Salle des fêtes"):
                await app.dispatcher.handle(Incoming("console", "me", line))
            for line in ("campagne ajouter dombes-brasserie don 12k https://www.helloasso.com/associations/brasserie",
                         "campagne avance dombes-brasserie 4 800 € 37",
                         "dépense dombes-brasserie 1 200 € cuve inox 3 novembre", "dépense dombes-brasserie 350 € étiquettes et capsules 18 novembre"):
                await app.dispatcher.handle(Incoming("console", "camille", line))
            # The contributive budget, one request granted (its ledger on the community's page).
            for who, line in (("me", "budget 2 000 €"), ("camille", "demande dombes-brasserie 150 € plants de houblon"),
                              ("me", "budget approuver 1")):
                await app.dispatcher.handle(Incoming("console", who, line))
            for voter, line in (("ana", "voter 1 2"), ("jules", "voter 1 2"), ("mehdi", "voter 1 1")):
                await app.dispatcher.handle(Incoming("console", voter, line))
            base = f"http://127.0.0.1:{port}/c/{community.slug}"
            for locale in READERS:
                for what, url in (("community", f"{base}?lang={locale}"), ("project", f"{base}/dombes-brasserie?lang={locale}"),
                                  ("search", f"{base}/search?q=brasserie&lang={locale}"), ("missing", f"http://127.0.0.1:{port}/nulle-part")):
                    async with http.get(url, headers={"Accept-Language": locale}) as response:
                        files[f"public-{what}-{locale}.html"] = _write(out, f"public-{what}-{locale}.html", await response.text())
            files.update(await _prompt_and_report(app, community, out))
    finally:
        await app.web.stop()
        await app.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return files


async def _prompt_and_report(app: App, community: Community, out: Path) -> dict[str, Path]:
    """The prompt mail a referent reads (its HTML part) and the impact report's page, in both languages."""
    from bot.core.render import for_platform
    from bot.services.report_chart import panels
    from bot.services.report_text import report_html
    from mail.render import NATIVE

    files: dict[str, Path] = {}
    composer = await app.mail.ready()
    project = await Project.get(community=community, slug="conciergerie-rurale")
    current = await NextStep.filter(project=project).order_by("-id").first()
    report = await app.services.reports.build(community, 8)
    for locale in READERS:
        t = app.catalogs.get(locale)
        notice = app.services.prompts.prompt_notice(project, community, "Sophie", False, 1, current)
        reply = for_platform(notice(t), NATIVE)
        msg = composer.mail(reply, to="mehdi@example.org", subject=notice.headline(t), message_id="<look@relais.example>",
                            locale=locale, account_id=1, reply_to=composer.reply_address("o", 1))
        files[f"mail-prompt-{locale}.html"] = _write(out, f"mail-prompt-{locale}.html", msg.get_body(("html",)).get_content())
        pictures = await asyncio.to_thread(panels, t, report)
        files[f"report-{locale}.html"] = _write(out, f"report-{locale}.html", report_html(t, report, pictures, 8))
    return files


async def screenshot(browser: str, html: Path, png: Path, width: int, height: int, dark: bool) -> None:
    profile = tempfile.mkdtemp(prefix="relais-chromium-")  # a fresh profile: no state from an earlier run
    try:
        process = await asyncio.create_subprocess_exec(
            browser, *CHROMIUM_FLAGS, *(DARK_FLAGS if dark else []), f"--user-data-dir={profile}",
            f"--window-size={width},{height}", f"--screenshot={png}", html.resolve().as_uri(),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await asyncio.wait_for(process.wait(), 60)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


async def shoot(files: dict[str, Path], out: Path, browser: str, modes=MODES, only=()) -> list[Path]:
    """PNGs of every HTML view (those named in `only`, if given) at each width and mode: <view>-<width>-<mode>.png."""
    jobs = []
    for name, html in files.items():
        view = name.removesuffix(".html")
        if not name.endswith(".html") or (only and view not in only):
            continue
        for width in WIDTHS:
            for mode in modes:
                height = HEIGHTS[view.split("-")[0] if view.split("-")[0] in HEIGHTS else "page"][width]
                jobs.append((html, out / f"{view}-{width}-{mode}.png", width, height, mode == "dark"))
    slots = asyncio.Semaphore(4)

    async def one(job) -> Path:
        async with slots:
            html, png, width, height, dark = job
            await screenshot(browser, html, png, width, height, dark)
            return png

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "data" / "look"))
    parser.add_argument("--only", nargs="+", default=(), help="views to photograph, e.g. digest-fr page-follow-en")
    parser.add_argument("--modes", nargs="+", default=MODES, choices=MODES)
    args = parser.parse_args()
    out = Path(args.out)
    files = await render(out)
    browser = chromium()
    if browser is None:
        print("no Chromium found (apt-get install chromium): HTML written, no screenshots", file=sys.stderr)
        return 1
    for png in await shoot(files, out, browser, args.modes, args.only):
        print(png if png.exists() and png.stat().st_size else f"{png}: not written")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
