"""The `relais` command line (its parser and `main`): run, console, migrate, community, demo; the other commands in this package."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot import logs
from bot.core.numbers import clean
from bot.logs import is_terminal

if TYPE_CHECKING:  # the app and its adapters are imported once the arguments are read: `relais --help` stays quick
    from bot.adapters.console import ConsoleChat
    from bot.app import App
    from bot.config import Settings


def N_(message: str) -> str:  # a message id, translated where it is shown (bot.core.i18n's marker, without Babel)
    return message


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relais", description="Relais, a community assistant for chats and mailing lists.")
    p.add_argument("--config", type=Path, help="TOML settings file (the environment wins over it)")
    sub = p.add_subparsers(dest="cmd")
    sub.add_parser("run", help="run Relais: the console chat on a terminal, else the service until SIGTERM")
    c = sub.add_parser("console", help="chat as a console account (one command per line when piped)")
    c.add_argument("--as", dest="name", default=None, help="console account name")
    c.add_argument("--room", default=None, help="talk in a console group instead of a direct chat")
    c.add_argument("--lang", default=None, choices=("fr", "en"), help="language hint of the account")
    m = sub.add_parser("migrate", help="apply the database migrations")
    m.add_argument("--check", action="store_true", help="only say whether migrations are pending (exit 1 if so)")
    sub.add_parser("demo", help="seed the demo community into an empty database")
    com = sub.add_parser("community", help="create communities and grant roles")
    csub = com.add_subparsers(dest="action", required=True)
    cc = csub.add_parser("create")
    cc.add_argument("slug")
    cc.add_argument("name")
    cc.add_argument("--facilitator", nargs="+", default=[], metavar="ACCOUNT", help="telegram:<id>, matrix:<mxid>, email:<addr>, console:<name>")
    cc.add_argument("--name", nargs="+", default=[], metavar="NAME",
                    help="the facilitators' names as people see them, in the order of --facilitator (pages never show an account)")
    cc.add_argument("--locale", default=None, choices=("fr", "en"))
    cc.add_argument("--timezone", default="Europe/Paris")
    cg = csub.add_parser("grant")
    cg.add_argument("slug")
    cg.add_argument("account")
    cg.add_argument("role", metavar="role", help="observer, member, referent or facilitator (or their French names)")
    cg.set_defaults(usage_error=cg.error)  # the role words are checked once the models are imported
    cg.add_argument("--name", default="", help="the person's name as people see it (pages never show an account)")
    csub.add_parser("list")
    sub.add_parser("outbox", help="count the outbox messages by status")
    f = sub.add_parser("failed", help="list what was parked after its last try (events, mails, outbox), or put it back")
    f.add_argument("--retry", nargs="+", metavar="ID", default=[], help="put these back (kind:id, as listed)")
    f.add_argument("--all", action="store_true", help="put everything parked back")
    dg = sub.add_parser("digest", help="preview or send the weekly digest")
    dsub = dg.add_subparsers(dest="action", required=True)
    dp = dsub.add_parser("preview", help="print the text version of a person's digest")
    dp.add_argument("account", help="telegram:<id>, matrix:<mxid>, email:<addr> or console:<name>")
    dp.add_argument("--community", default=None)
    dp.add_argument("--force", action="store_true", help="show the digest even to a person who does not get it")
    dp.add_argument("--html", default=None, metavar="FILE", help="also write the mail's HTML part to FILE")
    ds = dsub.add_parser("send", help="send the digests that are due (with --now: this week's, now)")
    ds.add_argument("--community", default=None)
    ds.add_argument("--now", action="store_true", help="send this week's digest now instead of waiting for its time")
    sh = sub.add_parser("sheet", help="print a community's tracking sheet, or write it as CSV or xlsx")
    sh.add_argument("--community", required=True)
    sh.add_argument("--csv", metavar="FILE", default=None, help="write the sheet as CSV to FILE ('-': standard output)")
    sh.add_argument("--xlsx", metavar="FILE", default=None, help="write the sheet as a spreadsheet (xlsx) to FILE")
    sh.add_argument("--lang", default=None, choices=("fr", "en"), help="language of the sheet (default: the community's)")
    ag = sub.add_parser("agenda", help="push the facilitators' weekly agendas that are due")
    asub = ag.add_subparsers(dest="action", required=True)
    asend = asub.add_parser("send", help="push the agendas due now, once per week (the scheduler does it every minute)")
    asend.add_argument("--community", default=None)
    ri = sub.add_parser("reindex", help="rebuild the search index from the stored items (of one community, or of all)")
    ri.add_argument("--community", default=None)
    from bot.cli import backup, forget, report, status  # each declares its own subcommands; none imports the app

    for module in (forget, report, status, backup):
        module.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, value in vars(args).items():  # what an operator typed is stored as it is: no control character goes on
        if isinstance(value, str):
            setattr(args, name, clean(value))
        elif isinstance(value, list):
            setattr(args, name, [clean(v) if isinstance(v, str) else v for v in value])
    if args.cmd is None:  # `relais` alone: what it can do
        parser.print_help()
        return 0
    from bot.adapters.web import ListenError
    from bot.app import NotMigrated
    from bot.config import Settings
    from bot.runtime.processes import AlreadyRunning
    from mail.signing import DkimKeyError
    from models.communities import ROLE_WORDS

    if args.cmd == "community" and args.action == "grant" and args.role.lower() not in ROLE_WORDS:
        args.usage_error(f"argument role: invalid choice: {args.role!r} (choose from {', '.join(sorted(ROLE_WORDS))})")
    settings = Settings(args.config)
    core = settings.core
    interactive = args.cmd == "run" and is_terminal()
    # On a terminal, log lines would break the chat and the progress bars: they go to a file, whose path is shown.
    on_terminal = interactive or (args.cmd != "run" and is_terminal(sys.stderr))  # a service logs to stderr (docker, systemd)
    log_file = core.log_file or (str(core.data_dir / "relais.log") if on_terminal else "")
    logs.setup(core.log_level, core.log_format, log_file or None)
    try:
        return asyncio.run(_dispatch(args, settings, interactive))
    except (NotMigrated, ListenError, AlreadyRunning, DkimKeyError) as exc:
        print(f"relais: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _dispatch(args, settings: Settings, interactive: bool) -> int:
    # Only `relais run` listens (mail gateway, link endpoint, webhooks, scheduler); the console and the other
    # commands are clients of the core beside it.
    from bot.app import App

    app = App(settings, listen=args.cmd == "run")
    if args.cmd == "migrate":
        from bot import db

        await db.connect(app.database_url)
        try:
            pending = await db.pending_migrations(app.database_url)
            if args.check:
                print("pending: " + ", ".join(pending) if pending else "up to date")
                return 1 if pending else 0
            applied = await db.migrate(app.database_url) if pending else []
            print("applied: " + ", ".join(applied) if applied else "up to date")
            return 0
        finally:
            await db.close()
    if args.cmd in ("backup", "restore"):  # before the start: a backup copies the database as it is, unmigrated
        from bot.cli import backup

        return await backup.run(app, args)
    await app.start()
    try:
        if args.cmd == "run":
            return await _run(app, interactive)
        if args.cmd == "console":
            return await _console(app, args)
        if args.cmd == "demo":
            return await _demo(app, settings.core.console_user, say=True)
        if args.cmd == "community":
            return await _community(app, args)
        if args.cmd == "digest":
            from bot.cli.digest import preview, send

            return await (preview(app, args) if args.action == "preview" else send(app, args))
        if args.cmd in ("sheet", "agenda"):
            from bot.cli import agenda

            return await (agenda.sheet(app, args) if args.cmd == "sheet" else agenda.send(app, args))
        if args.cmd == "failed":
            return await _failed(app, args)
        if args.cmd == "reindex":
            return await _reindex(app, args)
        if args.cmd == "forget":
            from bot.cli import forget

            return await forget.run(app, args)
        if args.cmd == "report":
            from bot.cli import report

            return await report.run(app, args)
        if args.cmd == "status":
            from bot.cli import status

            return await status.run(app, args)
        if args.cmd == "outbox":
            from tortoise.functions import Count

            from models import OutboxMessage

            rows = await OutboxMessage.all().group_by("status").annotate(n=Count("id")).values("status", "n")
            for row in rows:
                print(f"{row['status']}: {row['n']}")
            if not rows:
                print("the outbox is empty")
            return 0
    finally:
        await app.stop()
    return 0


async def _demo(app: App, facilitator: str, say: bool) -> int:
    from bot.services import demo

    if not await demo.is_empty():
        if say:
            print("The database is not empty: no demo seeded.")
        return 0
    community = await demo.seed(facilitator, app.clock(), campaign=True)
    print(f"Demo community “{community.name}” ({community.slug}) seeded, with console:{facilitator} as facilitator.",
          file=sys.stderr if not say else sys.stdout)
    return 0


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def _speaking(app: App, name: str):
    """The translator of a console account: its own language, else its community's."""
    account, community, _ = await app.services.people.resolve("console", name, None, name)
    return app.catalogs.get(account.person.locale or (community.locale if community else None) or app.settings.core.default_locale)


async def _chat(app: App, chat: ConsoleChat, stop: asyncio.Event, logs_at: str) -> None:
    t = await _speaking(app, chat.address)
    banner = t(N_("Relais — console chat as console:{name}. Type help for the commands; a number answers a choice; "
                  "quit (or Ctrl-D) leaves, Ctrl-C clears the line."), name=chat.address)
    if logs_at:
        banner += " " + t(N_("Logs: {path}"), path=logs_at)
    await chat.run_terminal(stop, banner, t(N_("Goodbye!")), history=app.settings.core.data_dir / "console_history",
                            again=t(N_("(Ctrl-C again, or Ctrl-D, to leave.)")))


async def _serving(app: App, stop: asyncio.Event) -> asyncio.Task:
    """The service started in the background; a port that is taken stops it here, before the chat opens."""
    task = asyncio.create_task(app.serve(stop))
    ready = asyncio.create_task(app.serving.wait())
    await asyncio.wait([task, ready], return_when=asyncio.FIRST_COMPLETED)
    ready.cancel()
    if task.done():
        task.result()  # raises what stopped it
    return task


async def _run(app: App, interactive: bool) -> int:
    stop = _stop_event()
    if interactive:
        await _demo(app, app.settings.core.console_user, say=False)
        from bot.adapters.console import ConsoleChat

        chat = ConsoleChat(app.console, app.settings.core.console_user)
        serving = await _serving(app, stop)
        await _chat(app, chat, stop, str(app.settings.core.data_dir / "relais.log"))
        stop.set()
        await serving
        return 0
    print("relais: running as a service (SIGTERM or SIGINT to stop)", file=sys.stderr, flush=True)
    await app.serve(stop)
    print("relais: stopped; undelivered messages stay in the outbox", file=sys.stderr, flush=True)
    return 0


async def _console(app: App, args) -> int:
    name = args.name or app.settings.core.console_user
    await _demo(app, name, say=False)
    from bot.core.errors import UserError

    try:  # a name finds who already has it (a handle, a console account, a display name) before anyone is created
        account, how = await app.services.people.console_account(name)
    except UserError as exc:
        print("relais: " + app.catalogs.get("en")(exc.message, **exc.params), file=sys.stderr)
        return 2
    if args.name:
        print("relais: " + _talking_as(account, how), file=sys.stderr)
    from bot.adapters.console import ConsoleChat

    chat = ConsoleChat(app.console, account.address, room=args.room, locale=args.lang)
    stop = _stop_event()
    serving = await _serving(app, stop)
    try:
        if is_terminal():
            await _chat(app, chat, stop, "")
        else:
            await chat.run_pipe(sys.stdin, sys.stdout, deliver=app.delivery.drain)
    finally:
        stop.set()
        await serving
        await app.delivery.drain()  # deliver what this session posted before leaving
    return 0


def _talking_as(account, how: str) -> str:
    """Which person `--as` found or made, for the operator."""
    name = account.person.display_name
    if how == "new":
        return f"nobody had that name: {name} is a new person (console:{account.address})"
    if how == "added":
        return f"talking as {name}, who already wrote to Relais (a console account was added to them: console:{account.address})"
    if how == "found":
        return f"talking as {name}, found by their name (console:{account.address})"
    return f"talking as {name} (console:{account.address})"


async def _failed(app: App, args) -> int:
    from bot.services.failures import Failures

    failures = Failures(app.clock)
    if args.all:
        print(f"put back: {await failures.retry_all()}")
        return 0
    if args.retry:
        missing = []
        for ref in args.retry:
            try:
                if not await failures.retry(ref):
                    missing.append(ref)
            except ValueError as exc:
                print(f"relais: {exc}", file=sys.stderr)
                return 2
        print(f"put back: {len(args.retry) - len(missing)}")
        if missing:
            print("not parked: " + ", ".join(missing), file=sys.stderr)
        return 1 if missing else 0
    rows = await failures.parked()
    if not rows:
        print("nothing parked")
        return 0
    for row in rows:
        when = row.at.strftime("%Y-%m-%d %H:%M") if row.at else ""
        print(f"{row.ref}\t{when}\t{row.attempts} tries\t{row.what}\t{row.error[:160]}")
    print(f"{len(rows)} parked; put back with: relais failed --retry ID [ID ...] (or --all)")
    return 0


async def _reindex(app: App, args) -> int:
    from bot.core.errors import UserError
    from models import Community

    try:
        only = (await app.services.people.community(args.community)).id if args.community else None
    except UserError as exc:
        print("relais: " + app.catalogs.get("en")(exc.message, **exc.params), file=sys.stderr)
        return 1
    done = await app.services.search.rebuild(only)
    slugs = {int(i): str(s) for i, s in await Community.filter(id__in=list(done)).values_list("id", "slug")}
    for community_id, count in done.items():
        print(f"{slugs.get(community_id, community_id)}: {count} items indexed")
    if not done:
        print("no community to index")
    return 0


async def _community(app: App, args) -> int:
    from bot.core.errors import UserError
    from models import Community
    from models.communities import Role

    people = app.services.people
    try:
        if args.action == "create":
            community = await people.create_community(args.slug, args.name, args.locale or app.settings.core.default_locale,
                                                      args.timezone)
            names = list(args.name) + [""] * len(args.facilitator)
            for handle, name in zip(args.facilitator, names):
                await people.grant(community, handle, Role.FACILITATOR, name=name)
            print(f"community {community.slug} created; facilitators: {', '.join(args.facilitator) or 'none'}")
        elif args.action == "grant":
            community = await people.community(args.slug)
            await people.grant(community, args.account, Role.parse(args.role), name=args.name)
            print(f"{args.account} is now {Role.parse(args.role).key} of {community.slug}")
        else:
            communities = await Community.all().order_by("slug")
            for c in communities:
                print(f"{c.slug}\t{c.name}\t{c.locale}\t{c.timezone}")
            if not communities:
                print('no community yet; create one with: relais community create <slug> "<name>" --facilitator <account>')
    except UserError as exc:
        t = app.catalogs.get("en")
        print("relais: " + t(exc.message, **exc.params), file=sys.stderr)
        return 1
    return 0
