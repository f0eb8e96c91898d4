"""news and nextstep: what referents and facilitators post; followers are notified."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.commands import FILES_ONLY, Arg, answers, command
from bot.core.dates import take_date
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.replies import Question, Reply, bold
from bot.runtime.context import Context
from bot.services.file_kinds import PHOTOS_PER_NEWS
from models import Project, Role

SECTION = N_("Referents")
PROJECT = Arg("project", "project", N_("project"))


@command("news", fr=("nouvelle", "actu", "nouvelles"), args=(PROJECT, Arg("text", "text", N_("text"))),
         help=N_("Post news of a project; its followers are notified."), section=SECTION,
         role=Role.OBSERVER, referent_of="project")
async def news(ctx: Context, project: Project, text: str) -> Reply:
    t = ctx.t
    photos = await ctx.services.files.photos(ctx.incoming.files) if ctx.incoming.files else []  # refused whole, before posting
    item, count = await ctx.services.projects.post_news(project, ctx.person, text, ctx.incoming.platform, ctx.need_community(), photos)
    reply = Reply().para(t(N_("News posted to {project}."), project=project.title), " ",
                         t.n("{count} follower notified.", "{count} followers notified.", count))
    if photos:
        reply.para(ctx.t.n("With {count} photo.", "With {count} photos.", len(photos)))
    else:  # a photo may follow: the next message with files (and only such) adds it
        reply.add(Question(t(N_("A photo with it? Send it in your next message (up to {count}): it joins this news and goes "
                                "to its followers."), count=PHOTOS_PER_NEWS),
                           "news photos", {"project": project.id, "news": item.id, FILES_ONLY: True},
                           hint=t(N_("Anything else you write is read as usual.")), days=1))
    return reply.choice(t(N_("Undo")), f"news delete {project.slug} {item.id}")


@answers("news photos")
async def news_photos(ctx: Context, text: str, data: dict) -> Reply:
    """The photos sent after `news`: added to the item, sent to its followers."""
    t = ctx.t
    project = await ctx.services.projects.by_id(data["project"])
    await ctx.need_referent(project)
    photos = await ctx.services.files.photos(ctx.incoming.files)
    count = await ctx.services.projects.add_news_photos(project, ctx.person, int(data["news"]), photos, ctx.need_community())
    return (Reply().para(ctx.t.n("{count} photo added to the news of {project}.", "{count} photos added to the news of {project}.",
                                 len(photos), project=project.title), " ",
                         ctx.t.n("{count} follower notified.", "{count} followers notified.", count))
            .choice(t(N_("Undo the news")), f"news delete {project.slug} {data['news']}"))


NUMBER = Arg("number", "word", N_("number"), max_length=12)


@command("news delete", fr=("nouvelle supprimer", "nouvelle retirer"), args=(PROJECT, NUMBER),
         help=N_("Take back a news item (the Undo of /news): followers not notified yet will not be."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def news_delete(ctx: Context, project: Project, number: str) -> Reply:
    t = ctx.t
    sent = await ctx.services.projects.delete_news(project, _number(number))
    reply = Reply().para(t(N_("The news is taken back from {project}."), project=project.title))
    if sent:
        reply.para(t.n("{count} follower had already received it.", "{count} followers had already received it.", sent))
    return reply


@command("nextstep delete", fr=("étape supprimer", "étape retirer"), en=("step delete",), args=(PROJECT, NUMBER),
         help=N_("Take back a next step (the Undo of /nextstep): the one before it is the next step again."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def nextstep_delete(ctx: Context, project: Project, number: str) -> Reply:
    t = ctx.t
    sent = await ctx.services.projects.delete_step(project, _number(number))
    step = (await ctx.services.projects.card(project))["step"]
    reply = Reply().para(t(N_("The next step is taken back from {project}."), project=project.title))
    reply.para(t(N_("Next step: ")), step.text) if step else reply.para(t(N_("Next step: not set yet.")))
    if sent:
        reply.para(t.n("{count} follower had already received it.", "{count} followers had already received it.", sent))
    return reply


def _number(raw: str) -> int:
    number = read_number(raw)
    if number is None:
        raise UsageError(N_("“{value}” is not a number."), value=raw[:20])
    return number


@command("nextstep", fr=("étape", "prochaine-étape", "prochaineetape"), en=("next-step", "step"),
         args=(PROJECT, Arg("text", "text", N_("text"), required=False, then=N_("[by <date>]"))),
         help=N_("Set the next step of a project, with a date if you have one: /nextstep my-project Find a venue by next friday. "
                 "Without text, I ask for it."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def nextstep(ctx: Context, project: Project, text: str | None) -> Reply:
    if not text:
        return ask_step(ctx, project)
    return await set_step(ctx, project, text)


def ask_step(ctx: Context, project: Project, problem: str = "") -> Reply:
    """The question whose answer (the person's next message) becomes the project's next step."""
    t = ctx.t
    reply = Reply().para(problem) if problem else Reply()
    return reply.add(Question(t(N_("What is the next step of {project}?"), project=project.title), "nextstep", {"project": project.id},
                              hint=t(N_("Answer in your next message, with a date if you have one (“… by next friday”), "
                                        "or type /cancel."))))


@answers("nextstep")
async def nextstep_answer(ctx: Context, text: str, data: dict) -> Reply:
    project = await ctx.services.projects.by_id(data["project"])
    await ctx.need_referent(project)
    try:
        return await set_step(ctx, project, text)
    except UserError as exc:  # one clarifying question; nothing is saved from an answer not understood
        return ask_step(ctx, project, ctx.t(exc.message, **exc.params))


async def set_step(ctx: Context, project: Project, text: str) -> Reply:
    t = ctx.t
    step_text, found = take_date(text, ctx.now().astimezone(ZoneInfo(ctx.need_community().timezone)), ctx.locale)
    due = found.due() if found is not None else None
    if not step_text:
        raise UsageError(N_("Missing {arg}."), arg=t(N_("text")))
    step, count = await ctx.services.projects.set_next_step(project, ctx.person, step_text, due, ctx.need_community())
    reply = Reply().para(t(N_("Next step of {project}: "), project=project.title), bold(step_text))
    if due:
        reply.para(t(N_("Due {date}."), date=t.date(due)))
    else:
        reply.para(t(N_("No date yet: add one with “by <date>” / “pour <date>”.")))
    return (reply.para(t.n("{count} follower notified.", "{count} followers notified.", count))
            .choice(t(N_("Undo")), f"nextstep delete {project.slug} {step.id}"))
