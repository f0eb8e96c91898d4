"""`relais digest preview` and `relais digest send`: the operators' way to look at and push digests."""

from __future__ import annotations

import sys
from zoneinfo import ZoneInfo

from bot.app import App
from bot.core.errors import UserError
from bot.services import digest as d
from bot.services.calendar import last_due, week_key
from bot.services.digest_combined import Combined, Planner
from bot.services.digest_run import Counts
from bot.services.people import parse_handle
from models import Account, Community, Membership


async def _communities(app: App, slug: str | None) -> list[Community]:
    if slug:
        return [await app.services.people.community(slug)]
    return await Community.all().order_by("slug")


async def _week(app: App, community: Community, now_mode: bool):
    tz = ZoneInfo(community.timezone)
    now = app.clock()
    if now_mode:
        return now, week_key(now.astimezone(tz).date())
    weekday, at = await app.services.schedules.of(community)
    return last_due(now, weekday, at, tz)


# Why a person gets no digest (Digests.why_not), as operators read it.
WHY_NOT = {
    "off": "they turned it off (`digest off`)",
    "not asked": "they are not an observer and did not ask for it (`digest on`)",
    "no address": "they have no email address",
    "unconfirmed": "their address {address} is not confirmed yet",
    "unsubscribed": "{address} unsubscribed from Relais' mail in one click",
    "bounced": "mail to {address} bounced too often",
    "unreachable": "{address} is marked unreachable",
}


async def preview(app: App, args) -> int:
    try:
        platform, address = parse_handle(args.account)
        account = await Account.get_or_none(platform=platform, address=address).select_related("person")
        if account is None:
            raise UserError("Nobody has the account {handle} yet; they must write to Relais once.", handle=args.account)
        memberships = await Membership.filter(person_id=account.person_id).select_related("community")
        chosen = [m for m in memberships if args.community in (None, m.community.slug)]
        if not chosen:
            print(f"relais: {args.account} is in no such community", file=sys.stderr)
            return 1
    except UserError as exc:
        print("relais: " + app.catalogs.get("en")(exc.message, **exc.params), file=sys.stderr)
        return 1
    mailer = await app.digest_mailer()
    if args.community is None and len(chosen) > 1 and await _combined(app, mailer, account, chosen, args):
        return 0
    for membership in chosen:
        community = membership.community
        person = account.person
        why = await app.services.digest.why_not(person.id, community.id, membership.role)
        if why is not None:
            reason, where = why
            print(f"{person.display_name} gets no digest from {community.slug}: {WHY_NOT[reason].format(address=where)}.")
            if not args.force:
                print("(--force shows the digest they would get)\n")
                continue
            print("What they would get:\n")
        due, week = await _week(app, community, now_mode=True)
        editions = d.Editions(app.services.digest, community, week, due, due.astimezone(ZoneInfo(community.timezone)).date())
        follows = await app.services.digest.follows(account.person_id, community)
        email = await Account.filter(person_id=account.person_id, platform="email").order_by("-confirmed", "-reachable", "id").first()
        recipient = d.Recipient(person.id, person.display_name, person.locale or community.locale,
                                email.address if email else "(no email address)", follows,  # no account: links act for nobody
                                timezone=person.timezone or "")
        await app.services.digest.periods(community, week, editions.usual.end, [recipient])
        digest = await editions.assemble(recipient)
        subject, text, html = mailer.renderer.render(digest, mailer.links_for(digest))
        print(f"Subject: {subject}\nTo: {recipient.address}\n")
        print(text)
        _write_html(args, html)
        if not digest.has_news:
            print("(nothing new this week: this digest would not be sent)")
    return 0


def _write_html(args, html: str) -> None:
    if getattr(args, "html", None):
        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(html)
        print(f"(HTML part written to {args.html})")


async def _recipient(app: App, account: Account, community: Community) -> d.Recipient:
    person = account.person
    email = await Account.filter(person_id=person.id, platform="email").order_by("-confirmed", "-reachable", "id").first()
    return d.Recipient(person.id, person.display_name, person.locale or community.locale, email.address if email else
                       "(no email address)", await app.services.digest.follows(person.id, community),
                       account_id=email.id if email else 0, timezone=person.timezone or "")


async def _combined(app: App, mailer, account: Account, chosen: list[Membership], args) -> bool:
    """The one mail of a person's communities, built as the run of the community that sends it would, now; False when
    they get separate mails (or only one community's)."""
    for membership in chosen:
        community = membership.community
        due, week = await _week(app, community, now_mode=True)
        today = due.astimezone(ZoneInfo(community.timezone)).date()
        planner = Planner(app.services.digest, community, due, today)
        recipient = await _recipient(app, account, community)
        plan = await planner.plan([recipient])
        if recipient.person_id in plan.elsewhere:
            continue
        if recipient.person_id not in plan.combined:
            return False
        editions = d.Editions(app.services.digest, community, week, due, today)
        await app.services.digest.periods(community, week, editions.usual.end, [recipient])
        parts = [part for other in plan.combined[recipient.person_id]
                 for part in (await planner.parts(other, [recipient])).values()]
        mail = Combined(recipient, community.id, await editions.assemble(recipient), parts, plan.order[recipient.person_id])
        subject, text, html = mailer.combined.render(mail, mailer.links_for, mailer.whole_for(recipient))
        print(f"Subject: {subject}\nTo: {recipient.address}\n")
        print(text)
        _write_html(args, html)
        if not mail.has_news:
            print("(nothing new this week: this mail would not be sent)")
        return True
    return False


class _Bar:
    """A progress bar on standard error, redrawn in place."""

    def __init__(self, total: int, label: str):
        self.total, self.done, self.label = max(total, 1), 0, label

    def __call__(self, count: int) -> None:
        self.done += count
        filled = int(30 * self.done / self.total)
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
        sys.stderr.flush()


async def send(app: App, args) -> int:
    total = Counts()
    broken = []
    for community in await _communities(app, args.community):
        try:
            due, week = await _week(app, community, args.now)
        except Exception as exc:  # one community's bad data (a time zone that no longer exists) stops only itself
            broken.append(community.slug)
            print(f"relais: {community.slug}: cannot compute its digest week ({type(exc).__name__}: {str(exc)[:120]})",
                  file=sys.stderr)
            continue
        bar = _Bar(await app.services.digest.count_recipients(community), f"{community.slug} {week}")
        total.add(await (await app.digest_runner()).run(community, due, week, progress=bar, exact=args.now))
        sys.stderr.write("\n")
    print(f"sent: {total.sent}, skipped as empty: {total.empty}, already sent: {total.already}, failed: {total.failed}")
    if total.taken_over:
        print(f"taken over from a run that was killed: {total.taken_over}")
    if total.elsewhere:
        at = total.until.astimezone().strftime("%H:%M") if total.until else "?"
        print(f"in progress elsewhere: {total.elsewhere}, taken over at {at} if that run is gone")
    return 0 if total.failed == 0 and not broken else 1
