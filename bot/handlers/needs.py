"""need, needs, skills, i can help, filled, i'll take it, referent confirm: help wanted by the projects, what members can do,
and a referent for a project that has none."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.commands import Arg, command, fold
from bot.core.dates import find_date
from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.replies import Reply, bold, italic
from bot.handlers.comments import help_out, leave
from bot.handlers.ideas import SECTION
from bot.runtime.context import Context
from bot.services.comments import Item
from bot.services.need_notices import with_due
from bot.services.numbering import number_of
from models import Account, CommentKind, Need, Person, Project, Role

PROJECT = Arg("project", "project", N_("project"))
NEED = Arg("need", "word", N_("need number"), max_length=80)
CLEAR = ("clear", "effacer", "none", "aucune", "rien")


async def handle(person: Person) -> str:
    """How a choice names a person: their first account."""
    account = await Account.filter(person_id=person.id).order_by("id").first()
    return account.handle if account else person.display_name


async def _may_fill(ctx: Context, need: Need) -> Project:
    project = await ctx.services.projects.by_id(need.project_id)
    await ctx.need_referent(project)
    return project


@command("need", fr=("besoin",), args=(PROJECT, Arg("text", "text", N_("what help is wanted"), then=N_("[by <date>]"))),
         help=N_("Ask for help on your project: /need dombes-brasserie a carpenter for Saturday. Its followers and the members "
                 "whose skills match hear of it (each at most 3 needs a week)."),
         section=SECTION, role=Role.REFERENT, referent_of="project")
async def need(ctx: Context, project: Project, text: str) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    found = find_date(text, ctx.now().astimezone(ZoneInfo(community.timezone)), ctx.locale)
    due = found.due() if found is not None else None
    words = found.rest if found is not None else text
    posted, reached = await ctx.services.needs.post(community, project, ctx.person, words, due)
    reply = Reply().para("🙋 ", t(N_("Need {number} of {project}: "), number=posted.number, project=project.title),
                         *with_due(t, posted))
    reply.para(t.n("Sent to {count} person: the project's followers and the members whose skills match.",
                   "Sent to {count} people: the project's followers and the members whose skills match.", reached))
    return reply.choice(t(N_("The needs of {project}"), project=project.title), f"needs {project.slug}")


@command("needs", fr=("besoins",), args=(Arg("project", "project", N_("project"), required=False),),
         help=N_("The help the projects are looking for (and the projects looking for a referent); for a project's referents, "
                 "who offered to help."), section=SECTION, role=Role.OBSERVER)
async def needs(ctx: Context, project: Project | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    service = ctx.services.needs
    found = await service.open_of(community, project)
    reply = Reply()
    if found:
        rows = []
        for n, p in found:
            row: list = [bold(f"{n.number}. "), *with_due(t, n), " — ", p.title]
            if await _staff_of(ctx, p):
                offers = await service.offers(n)
                if offers:
                    row += [" · ", t(N_("offered: {names}"), names=", ".join(person.display_name for person, _ in offers))]
                    for person, _ in offers[:3]:
                        reply.choice(t(N_("Need {number} filled by {name}"), number=n.number, name=person.display_name)[:60],
                                     f"filled {n.number} {await handle(person)}")
            rows.append(tuple(row))
        title = t(N_("Help wanted by {project}"), project=project.title) if project else t(N_("Help wanted in {community}"), community=community.name)
        reply.items(rows, title=title)
        reply.para(t(N_("You can help? /i can help <number> [how]: the referents get it.")))
        for n, _ in found[:4]:
            reply.choice(t(N_("I can help with need {number}"), number=n.number), f"i can help {n.number}")
    orphans = [p for p in await service.without_referent(community) if project is None or p.id == project.id]
    if orphans:
        reply.items([(bold(p.title), " — ", t(N_("looking for a referent"))) for p in orphans],
                    title=t(N_("Projects looking for a referent:")))
        for p in orphans[:3]:
            reply.choice(t(N_("I'll carry {project}"), project=p.title)[:60], f"i'll take it {p.slug}")
    if not reply.blocks:
        reply.para(t(N_("No help wanted right now in {community}."), community=community.name) if project is None else
                   t(N_("{project} asks for no help right now."), project=project.title))
    return reply


async def _staff_of(ctx: Context, project: Project) -> bool:
    return (ctx.role is not None and ctx.role >= Role.FACILITATOR) or await ctx.services.projects.is_referent(project, ctx.person)


@command("skills", fr=("compétences", "competences"), args=(Arg("words", "text", N_("what you can do"), required=False, max_length=500),),
         help=N_("Say what you can do, in your words (/skills carpentry, the town hall, English): the needs that match reach "
                 "you, at most 3 a week. Alone, your skills; /skills clear forgets them."), section=SECTION)
async def skills(ctx: Context, words: str | None) -> Reply:
    t = ctx.t
    service = ctx.services.skills
    if words is None:
        mine = await service.of(ctx.person)
        if mine is None:
            return Reply().para(t(N_("You have said no skill yet. Say what you can do: /skills carpentry, the town hall, English.")))
        return (Reply().para(t(N_("Your skills: ")), bold(mine.text))
                .para(t(N_("The needs that match reach you, at most 3 a week.")))
                .choice(t(N_("Forget them")), "skills clear"))
    if fold(words.strip()) in CLEAR:
        if not await service.clear(ctx.person):
            return Reply().para(t(N_("You have said no skill yet.")))
        return Reply().para(t(N_("Your skills are forgotten: needs reach you only from the projects you follow.")))
    await service.set(ctx.person, words)
    return (Reply().para("🛠 ", t(N_("Noted, your skills: ")), bold(" ".join(words.split())))
            .para(t(N_("The needs that match reach you, at most 3 a week. /skills clear forgets them."))))


@command("i can help", fr=("je peux aider",), args=(NEED, Arg("text", "text", N_("how"), required=False)),
         help=N_("Offer your help with a need (/i can help 3 I have the tools): its project's referents get it and answer you."),
         section=SECTION, role=Role.OBSERVER)
async def i_can_help(ctx: Context, need: str, text: str | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    if number_of(need)[1] is None:  # a project's name: the offer of help to its referents (help-out)
        return await help_out(ctx, await ctx.services.projects.get(community, need), text)
    found = await ctx.services.needs.find(community, need)
    project = await ctx.services.projects.by_id(found.project_id)
    if not await ctx.services.needs.offer(found, ctx.person, text or ""):
        raise UserError(N_("You already offered your help with need {number}: the referents know."), number=found.number)
    said = text or t(N_("I can help."))
    reply = await leave(ctx, community, CommentKind.OFFER, said, item=Item("need", found.id, project, community.id, found.text))
    return Reply().para("🙌 ", t(N_("Thank you for your help with need {number} (“{text}”)!"), number=found.number, text=found.text)).extend(reply)


@command("filled", fr=("besoin pourvu", "pourvu"), args=(NEED, Arg("person", "word", N_("person"), required=False, max_length=320)),
         help=N_("A need is filled (by someone, who is thanked and follows the project): /filled 3 @ana; /filled 3 - when "
                 "nobody who offered filled it."), section=SECTION, role=Role.OBSERVER)
async def filled(ctx: Context, need: str, person: str | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    found = await ctx.services.needs.find(community, need)
    await _may_fill(ctx, found)
    helper = await ctx.services.people.find_member(community, person) if person and person != "-" else None
    if person is None:
        offers = await ctx.services.needs.offers(found)
        if len(offers) == 1:
            helper = offers[0][0]
        elif offers:
            reply = Reply().para(t(N_("Who filled need {number}?"), number=found.number))
            for who, _ in offers[:6]:
                reply.choice(who.display_name[:60], f"filled {found.number} {await handle(who)}")
            return reply.choice(t(N_("Nobody who offered")), f"filled {found.number} -")
    project = await ctx.services.needs.fill(found, helper, community)
    reply = Reply().para("✅ ", t(N_("Need {number} of {project} is filled."), number=found.number, project=project.title))
    if helper is not None:
        reply.para(t(N_("{name} is thanked and now follows {project}."), name=helper.display_name, project=project.title))
    return reply


@command("i'll take it", fr=("je m'en occupe", "je m’en occupe"), en=("i’ll take it", "take-project"), args=(PROJECT,),
         help=N_("Offer to carry a project that has no referent: a facilitator confirms it."), section=SECTION, role=Role.MEMBER)
async def take_it(ctx: Context, project: Project) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    if not await ctx.services.needs.volunteer(project, ctx.person, community):
        return Reply().para(t(N_("You offered already to carry {project}: a facilitator will confirm it."), project=project.title))
    return Reply().para("🙌 ", t(N_("Thank you! The facilitators are asked to confirm you as the referent of {project}."),
                                 project=project.title))


@command("referent confirm", fr=("référent confirmer", "referent confirmer"),
         args=(PROJECT, Arg("person", "word", N_("person"), required=False, max_length=320)),
         help=N_("Confirm a volunteer as the referent of a project that had none (the one who offered, or the one named)."),
         section=SECTION, role=Role.FACILITATOR, group=False)
async def referent_confirm(ctx: Context, project: Project, person: str | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    offered = [p for pr, p in await ctx.services.needs.volunteers(community) if pr.id == project.id]
    if person is None and len(offered) != 1:
        if not offered:
            raise UserError(N_("Nobody offered to carry {project}."), project=project.title)
        reply = Reply().para(t(N_("Several people offered to carry {project}: which one?"), project=project.title))
        for who in offered[:6]:
            reply.choice(who.display_name[:60], f"referent confirm {project.slug} {await handle(who)}")
        return reply
    chosen = offered[0] if person is None else await ctx.services.people.find_member(community, person)
    if not await ctx.services.needs.confirm(project, chosen, community):
        raise UserError(N_("{name} did not offer to carry {project}."), name=chosen.display_name, project=project.title)
    return Reply().para("✅ ", t(N_("{name} is now the referent of {project}; they are told."), name=chosen.display_name,
                                 project=project.title)).para(italic(t(N_("They get the next-step prompts from now on."))))
