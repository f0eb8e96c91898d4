"""idea, ideas, back-idea (+1), unback-idea, ideas threshold, idea accept|merge|decline|lead: members' project ideas, supported
by the others and taken up (or not) by the facilitators."""

from __future__ import annotations

from bot.core.commands import Arg, answers, command, fold
from bot.core.conversation import ANSWER_HINT
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.parser import tokens
from bot.core.replies import Question, Reply, bold, italic
from bot.runtime.context import Context
from bot.services.idea_notices import about, idea_label
from bot.services.numbering import number_of
from bot.services.people import FORMER_MEMBER
from models import Idea, IdeaStatus, Project, ProjectStatus, Role
from models.projects import STATUS_WORDS

SECTION = N_("Ideas and help")
IDEA = Arg("idea", "word", N_("idea number"), max_length=80)
TITLE = 120  # a title given without quotes: its first words
STATUS_LABELS = {IdeaStatus.OPEN: N_("open to supports"), IdeaStatus.ACCEPTED: N_("became a project"),
                 IdeaStatus.MERGED: N_("joined a project"), IdeaStatus.DECLINED: N_("not taken up")}


def read_title(text: str) -> tuple[str, str]:
    """`"Title" what it is about` → (title, summary); unquoted, a short text is the title, a long one gives its first
    sentence as the title and stays whole as the summary."""
    words = tokens(text)
    if words and words[0][1]:
        title = words[0][0]
        start = text.find(title) + len(title)
        return title, text[start:].strip().lstrip("\"”»").strip()
    text = " ".join(text.split())
    if len(text) <= TITLE:
        return text, ""
    first = text.split(". ")[0]
    return (first if len(first) <= TITLE else first[:TITLE].rsplit(" ", 1)[0] + "…"), text


async def _idea(ctx: Context, ref: str) -> Idea:
    """The idea a command names, in its own community (a digest's link names it `community#4`)."""
    idea = await ctx.services.ideas.find(ctx.community, ref, ctx.person)
    if ctx.community is None or idea.community_id != ctx.community.id:
        ctx.community = await ctx.services.people.community_by_id(idea.community_id)
        ctx.membership = await ctx.services.people.membership(ctx.person, ctx.community)
    return idea


def _staff(ctx: Context) -> bool:
    return ctx.role is not None and ctx.role >= Role.FACILITATOR


def _need_member(ctx: Context) -> None:
    community = ctx.need_community()
    if ctx.role is None or ctx.role < Role.MEMBER:
        raise UserError(N_("Only a {role} of {community} can do that."), role=ctx.t(Role.MEMBER.label), community=community.name)


@command("idea", fr=("idée", "idee"), args=(Arg("text", "text", N_('"title" [what it is about], or its number')),),
         help=N_('Propose a project idea to the community: /idea "A bread oven for the village" what it is about. The members '
                 "support it with /+1 <number>, the facilitators take it up. /idea 4 shows idea 4."),
         section=SECTION, role=Role.OBSERVER)
async def idea(ctx: Context, text: str) -> Reply:
    t = ctx.t
    _, number = number_of(text) if len(text) <= 80 and " " not in text.strip() else ("", None)
    if number is not None:
        return await show(ctx, await _idea(ctx, text.strip()))
    _need_member(ctx)
    community = ctx.need_community()
    title, summary = read_title(text)
    made, rooms = await ctx.services.ideas.propose(community, ctx.person, title, summary)
    reply = Reply().para("💡 ", t(N_("Idea {number} proposed: "), number=made.number), bold(made.title))
    reply.para(t(N_("The facilitators are told; the members support it with /+1 {number}."), number=made.number))
    if rooms:
        reply.para(t.n("Posted in {count} room.", "Posted in {count} rooms.", rooms))
    return reply.choice(t(N_("All the ideas")), "ideas")


async def show(ctx: Context, found: Idea) -> Reply:
    t = ctx.t
    [author] = await ctx.services.ideas.names([found.author_id])
    author = author or t(FORMER_MEMBER)
    reply = Reply().para("💡 ", bold(f"{idea_label(t, found).capitalize()} — {found.title}"), " (", t(STATUS_LABELS[found.status]), ")")
    if found.summary:
        reply.para(found.summary)
    reply.para(t(N_("Proposed by {name}"), name=author), " · ", t.n("{count} support", "{count} supports", found.supporters))
    if found.project_id is not None:
        project = await Project.get_or_none(id=found.project_id)
        if project is not None:
            reply.para(t(N_("Project: {project}"), project=project.title)).choice(project.title[:60], f"project {project.slug}")
    if found.status == IdeaStatus.DECLINED and found.note:
        reply.para(t(N_("The facilitators' word: ")), italic(found.note))
    reply.add(about(t, found, author))
    if found.status == IdeaStatus.OPEN:
        if found.id in await ctx.services.ideas.supported(ctx.person, [found]):
            reply.para(t(N_("You support it."))).choice(t(N_("Withdraw my support")), f"unback-idea {found.number}")
        elif found.author_id != ctx.person.id:
            reply.choice(t(N_("Support it (+1)")), f"back-idea {found.number}")
        if _staff(ctx):
            reply.choice(t(N_("Accept it as a project")), f"idea accept {found.number}")
            reply.choice(t(N_("Merge it into a project")), f"idea merge {found.number}")
            reply.choice(t(N_("Decline it")), f"idea decline {found.number}")
    return reply


@command("ideas", fr=("idées", "idees"), help=N_("The community's open ideas, the most supported first, with who proposed them."),
         section=SECTION, role=Role.OBSERVER)
async def ideas(ctx: Context) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    found = await ctx.services.ideas.listing(community)
    if not found:
        return Reply().para(t(N_("No idea in {community} yet. Propose one: /idea \"<title>\" <what it is about>."),
                              community=community.name))
    mine = await ctx.services.ideas.supported(ctx.person, [i for i, _ in found])
    rows = [(bold(f"{i.number}. {i.title}"), " — ", t.n("{count} support", "{count} supports", i.supporters), " · ",
             t(N_("proposed by {name}"), name=name or t(FORMER_MEMBER)), (" · ✓ " + t(N_("you support it"))) if i.id in mine else "")
            for i, name in found]
    reply = Reply().items(rows, title=t(N_("Ideas of {community}"), community=community.name))
    reply.para(t(N_("Support one with /+1 <number>; /idea <number> shows it.")))
    for i, _ in found:
        if i.id not in mine and i.author_id != ctx.person.id and len(reply.choices) < 6:
            reply.choice(t(N_("+1 {idea}"), idea=i.title)[:60], f"back-idea {i.number}")
    return reply


@command("back-idea", fr=("appuyer", "+1"), en=("support-idea",), args=(IDEA,),
         help=N_("Support an idea (once; /unback-idea withdraws it): /+1 4."), section=SECTION, role=Role.OBSERVER)
async def back_idea(ctx: Context, idea: str) -> Reply:
    t = ctx.t
    found = await _idea(ctx, idea)
    if not await ctx.services.ideas.support(found, ctx.person):
        raise UserError(N_("You already support idea {number}."), number=found.number)
    return (Reply().para("👍 ", t(N_("You support idea {number}: {title}."), number=found.number, title=found.title), " ",
                         t.n("{count} support now.", "{count} supports now.", found.supporters))
            .choice(t(N_("Undo")), f"unback-idea {found.number}"))


@command("unback-idea", fr=("retirer-appui", "-1"), args=(IDEA,),
         help=N_("Withdraw your support of an idea."), section=SECTION, role=Role.OBSERVER)
async def unback_idea(ctx: Context, idea: str) -> Reply:
    t = ctx.t
    found = await _idea(ctx, idea)
    if not await ctx.services.ideas.withdraw(found, ctx.person):
        raise UserError(N_("You do not support idea {number}."), number=found.number)
    return (Reply().para(t(N_("You no longer support idea {number}."), number=found.number))
            .choice(t(N_("Undo")), f"back-idea {found.number}"))


@command("ideas threshold", fr=("idées seuil", "idees seuil"), args=(Arg("supports", "word", N_("number"), required=False, max_length=12),),
         help=N_("How many supports bring an idea to your weekly agenda (5 by default): /ideas threshold 5. New ideas come "
                 "there anyway."), section=SECTION, role=Role.FACILITATOR)
async def ideas_threshold(ctx: Context, supports: str | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    directory = ctx.services.directory
    if supports is None:
        now = (await directory.profile(community)).idea_threshold
        return Reply().para(t.n("An idea comes to the agenda at {count} support.", "An idea comes to the agenda at {count} supports.", now))
    value = read_number(supports, 1, 10_000)
    if value is None:
        raise UsageError(N_("“{value}” is not a number from 1 to 10000."), value=supports[:20])
    previous = await directory.set_threshold(community, value)
    return (Reply().para(t.n("An idea now comes to the agenda at {count} support.", "An idea now comes to the agenda at {count} supports.", value))
            .choice(t(N_("Undo")), f"ideas threshold {previous}"))


STATUS_BY_WORD = {fold(k): v for k, v in STATUS_WORDS.items() if v in (ProjectStatus.IDEA, ProjectStatus.ACTIVE)}


@command("idea accept", fr=("idée accepter", "idee accepter"),
         args=(IDEA, Arg("status", "choice", N_("status"), required=False, choices=("idea", "active"), accept=tuple(STATUS_BY_WORD),
                         words={"fr": ("idée", "actif")}),
               Arg("slug", "word", N_("short-name"), required=False)),
         help=N_("Take an idea up as a project (status idea, or active), under a short name of your choice or one made from its "
                 "title: its supporters follow it, its proposer is asked to be its referent."),
         section=SECTION, role=Role.FACILITATOR, group=False)
async def idea_accept(ctx: Context, idea: str, status: str | None, slug: str | None) -> Reply:
    t = ctx.t
    found = await _idea(ctx, idea)
    community = ctx.need_community()
    chosen = STATUS_BY_WORD[status] if status else ProjectStatus.IDEA
    project, told = await ctx.services.ideas.accept(found, community, ctx.person, chosen, slug.lower() if slug else None)
    return (Reply().para("✅ ", t(N_("Idea {number} is now the project {project} ({status})."), number=found.number,
                                   project=project.title, status=t(chosen.label)))
            .para(t.n("{count} person told and following it; its proposer is asked to be its referent.",
                      "{count} people told and following it; its proposer is asked to be its referent.", told))
            .choice(t(N_("See the project")), f"project {project.slug}"))


@command("idea merge", fr=("idée fusionner", "idee fusionner"), args=(IDEA, Arg("project", "project", N_("project"), required=False)),
         help=N_("Merge an idea into an existing project: its proposer and supporters follow the project."),
         section=SECTION, role=Role.FACILITATOR, group=False)
async def idea_merge(ctx: Context, idea: str, project: Project | None) -> Reply:
    t = ctx.t
    found = await _idea(ctx, idea)
    community = ctx.need_community()
    if project is None:
        reply = Reply().para(t(N_("Into which project should idea {number} go?"), number=found.number))
        for listed, _ in (await ctx.services.projects.listing(community))[:10]:
            reply.choice(listed.title[:60], f"idea merge {found.number} {listed.slug}")
        return reply
    told = await ctx.services.ideas.merge(found, community, project, ctx.person)
    return (Reply().para("✅ ", t(N_("Idea {number} joins the project {project}."), number=found.number, project=project.title))
            .para(t.n("{count} person told and following it.", "{count} people told and following it.", told))
            .choice(t(N_("See the project")), f"project {project.slug}"))


@command("idea decline", fr=("idée refuser", "idee refuser", "idée décliner"), args=(IDEA, Arg("word", "text", N_("a word for them"), required=False)),
         help=N_("Decline an idea, with a word for its proposer and supporters (without it, I ask for it)."),
         section=SECTION, role=Role.FACILITATOR, group=False)
async def idea_decline(ctx: Context, idea: str, word: str | None) -> Reply:
    found = await _idea(ctx, idea)
    if not word:
        if found.status != IdeaStatus.OPEN:
            raise UserError(N_("Idea {number} is decided already."), number=found.number)
        return Reply().add(Question(ctx.t(N_("Your word to the proposer and the {count} supporters of idea {number} (“{title}”): why not, "
                                             "or not now?"), count=found.supporters, number=found.number, title=found.title),
                                    "idea decline", {"idea": found.id}, hint=ctx.t(ANSWER_HINT)))
    return await _declined(ctx, found, word)


@answers("idea decline")
async def idea_decline_word(ctx: Context, text: str, data: dict) -> Reply:
    found = await Idea.get_or_none(id=int(data["idea"]))
    if found is None:
        raise UserError(N_("That idea no longer exists."))
    if ctx.role is None or ctx.role < Role.FACILITATOR:
        raise UserError(N_("Only a {role} of {community} can do that."), role=ctx.t(Role.FACILITATOR.label), community=ctx.need_community().name)
    return await _declined(ctx, found, text)


async def _declined(ctx: Context, found: Idea, word: str) -> Reply:
    t = ctx.t
    told = await ctx.services.ideas.decline(found, ctx.need_community(), ctx.person, word)
    return Reply().para(t(N_("Idea {number} is declined."), number=found.number), " ",
                        t.n("{count} person told, with your word.", "{count} people told, with your word.", told))


@command("idea lead", fr=("idée porter", "idee porter"),
         args=(IDEA, Arg("answer", "choice", N_("yes|no"), choices=("yes", "no"), accept=("yes", "no", "oui", "non"), words={"fr": ("oui", "non")})),
         help=N_("Say whether you carry the project your idea became (as its referent)."), section=SECTION)
async def idea_lead(ctx: Context, idea: str, answer: str) -> Reply:
    t = ctx.t
    found = await _idea(ctx, idea)
    yes = answer in ("yes", "oui")
    project = await ctx.services.ideas.lead(found, ctx.need_community(), ctx.person, yes)
    if yes:
        return (Reply().para("✅ ", t(N_("You are now the referent of {project}. Thank you!"), project=project.title))
                .para(t(N_("Next: give it a next step with /nextstep {slug} <text> [by <date>]."), slug=project.slug))
                .choice(t(N_("See the project")), f"project {project.slug}"))
    return Reply().para(t(N_("Noted: the facilitators will look for a referent for {project}. You still follow it."), project=project.title))
