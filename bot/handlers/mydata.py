"""mydata, forget me: everything Relais holds about you, and erasing it."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from bot.core.commands import Arg, answers, command
from bot.core.conversation import ANSWER_HINT
from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.replies import Attachment, Question, Reply, bold
from bot.runtime.context import Context
from bot.services.prompt_reading import yes_no
from models import Role

SECTION = N_("Your data")
PHOTOS = ("photos", "files", "fichiers")  # `forget me photos`: the photos of their news go too


def _direct_only(ctx: Context) -> None:
    if not ctx.incoming.direct:
        raise UserError(N_("That is for a direct chat with me (or a mail), not a group: it is yours only."))


@command("mydata", fr=("mes-données", "mesdonnées"), en=("my-data", "my data"),
         help=N_("Everything Relais holds about you: a JSON file and a summary."), section=SECTION, group=False)
async def mydata(ctx: Context) -> Reply:
    t = ctx.t
    _direct_only(ctx)
    if not ctx.account.confirmed:  # a mail is answered only once its address is confirmed; this guards any other path
        raise UserError(N_("Confirm your address first: your data goes only to a confirmed address."))
    data = await ctx.services.mydata.export(ctx.person)
    ballots = len(data["ballots"]) + len(data["secret_polls_voted"])
    rows = [
        t.n("{count} account: {accounts}", "{count} accounts: {accounts}", len(data["accounts"]),
            accounts=", ".join(a["account"] for a in data["accounts"])),
        t.n("{count} community: {communities}", "{count} communities: {communities}", len(data["communities"]),
            communities=", ".join(f"{c['community']} ({t(Role[c['role'].upper()].label)})" for c in data["communities"]) or "—"),
        t.n("{count} project followed", "{count} projects followed", len(data["follows"])),
        t.n("{count} news item posted", "{count} news items posted", len(data["news"])) + " · "
        + t.n("{count} next step set", "{count} next steps set", len(data["next_steps"])) + " · "
        + t.n("{count} prompt answered", "{count} prompts answered", sum(1 for p in data["prompt_answers"] if p["answer"])),
        t.n("{count} ballot", "{count} ballots", ballots) + " "
        + t(N_("(secret ones: only that you voted)")) + " · "
        + t.n("{count} meeting answer", "{count} meeting answers", len(data["meeting_answers"])),
    ]
    if data["promises"]:
        rows.append(t.n("{count} promise", "{count} promises", len(data["promises"])))
    if data.get("files"):
        rows.append(t.n("{count} file posted (documents, news photos)", "{count} files posted (documents, news photos)",
                        len(data["files"])))
    consents = [t(N_("{account} confirmed on {date}"), account=a["account"],
                  date=t.date(datetime.fromisoformat(a["consent_at"]).date(), "medium"))
                for a in data["accounts"] if a.get("consent_at")]
    if consents:
        rows.append(t(N_("Consent: ")) + ", ".join(consents))
    settings = [t(N_("language {lang}"), lang=data["person"]["language"] or t.locale),
                t(N_("time zone {zone}"), zone=data["person"]["timezone"] or "—")]
    digests = [c["community"] for c in data["communities"] if c["digest"] is True]
    settings.append(t(N_("weekly digest: {communities}"), communities=", ".join(digests) or "—"))
    rows.append(" · ".join(settings))
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    day = ctx.now().date().isoformat()
    return (Reply().para(bold(t(N_("What Relais holds about you"))))
            .items(rows)
            .para(t(N_("Everything is in the attached file, in JSON (any program reads it). To erase it all: /forget me.")))
            .add(Attachment(f"relais-my-data-{day}.json", "application/json", body, caption=t(N_("your data")))))


@command("forget me", fr=("oublie-moi", "oubliez-moi"), en=("forget-me",),
         args=(Arg("confirmation", "word", N_("confirmation"), required=False, max_length=40),),
         help=N_("Erase everything Relais holds about you (you confirm first)."), section=SECTION, group=False)
async def forget_me(ctx: Context, confirmation: str | None) -> Reply:
    t = ctx.t
    _direct_only(ctx)
    await _may_leave(ctx)
    photos = confirmation is not None and confirmation.lower() in PHOTOS
    if confirmation is not None and not photos:
        pending = await ctx.services.conversations.pending(ctx.person.id)
        if pending is None or pending.handler != "forget" or pending.data.get("token") != confirmation:
            raise UserError(N_("That confirmation is no longer valid: type /forget me again."))
        return await _erase(ctx, bool(pending.data.get("photos")))
    token = secrets.token_hex(4)
    accounts = [a.handle for a in await ctx.person.accounts.all().order_by("id")]
    reply = (Reply().para("⚠️ ", t(N_("This erases you from Relais: your accounts ({accounts}), communities and roles, follows, "
                                      "answers, promises and settings."), accounts=", ".join(accounts)))
             .para(t(N_("The community keeps what it needs, without your name: your news and next steps (from “a former "
                        "member”) and your ballots, still counted. You are taken off the mailing lists."))))
    posted = await ctx.services.files.of_person(ctx.person.id)
    documents, pictures = (sum(1 for f in posted if f["kind"] == kind) for kind in ("document", "photo"))
    if documents:
        reply.para(t.n("The document you added to a project is erased.", "The {count} documents you added to projects are erased.",
                       documents))
    if pictures and photos:
        reply.para(t.n("The photo of your news is erased too.", "The {count} photos of your news are erased too.", pictures))
    elif pictures:
        reply.para(t.n("The photo of your news stays with it, without your name; to erase it too: /forget me photos.",
                       "The {count} photos of your news stay with them, without your name; to erase them too: /forget me photos.",
                       pictures))
    reply.para(t(N_("Want a copy first? Type /mydata.")))
    reply.add(Question(t(N_("Erase everything? Answer yes to erase it; anything else keeps it.")), "forget",
                       {"token": token, "photos": photos}, hint=t(ANSWER_HINT), days=1))
    reply.choice(t(N_("Yes, erase everything")), f"forget me {token}")
    if pictures and not photos:
        reply.choice(t(N_("Erase my photos too")), "forget me photos")
    return reply.choice(t(N_("No, keep it")), "cancel")


@answers("forget")
async def forget_answer(ctx: Context, text: str, data: dict) -> Reply:
    if yes_no(text) is True:
        await _may_leave(ctx)
        return await _erase(ctx, bool(data.get("photos")))
    return Reply().para(ctx.t(N_("Nothing was erased.")))


async def _may_leave(ctx: Context) -> None:
    """The last facilitator of a community hands the role over first (an operator can still erase them)."""
    for community in await ctx.services.mydata.sole_facilitator_of(ctx.person):
        raise UserError(N_("You are the last facilitator of {community}: give the role to someone else first (/role)."),
                        community=community.name)


async def _erase(ctx: Context, photos: bool = False) -> Reply:
    t = ctx.t  # the translator outlives the person
    await ctx.services.mydata.forget(ctx.person.id, photos=photos)
    # Sensitive: the message that asked for it is reduced to "forget me" as it is handled (no account, no text left).
    return Reply(sensitive="forget me").para("👋 ", t(N_("Done: Relais no longer knows you. If you write again, you start afresh.")))
