"""news and nextstep: what referents and facilitators post; followers are notified."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.commands import Arg, command
from bot.core.context import Context
from bot.core.dates import parse_due, split_due
from bot.core.errors import UsageError
from bot.core.i18n import N_
from bot.core.replies import Reply, bold
from models import Project, Role

SECTION = N_("Referents")
PROJECT = Arg("project", "project", N_("project"))


@command("news", fr=("nouvelle", "actu", "nouvelles"), args=(PROJECT, Arg("text", "text", N_("text"))),
         help=N_("Post news of a project; its followers are notified."), section=SECTION,
         role=Role.OBSERVER, referent_of="project")
async def news(ctx: Context, project: Project, text: str) -> Reply:
    t = ctx.t
    _, count = await ctx.services.projects.post_news(project, ctx.person, text, ctx.incoming.platform, ctx.community)
    return Reply().para(t(N_("News posted to {project}."), project=project.title), " ",
                        t.n("{count} follower notified.", "{count} followers notified.", count))


@command("nextstep", fr=("etape", "prochaine-etape", "prochaineetape"), en=("next-step", "step"),
         args=(PROJECT, Arg("text", "text", N_("text [by <date>]"))),
         help=N_("Set the next step of a project, with a date if you have one: /nextstep my-project Find a venue by next friday."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def nextstep(ctx: Context, project: Project, text: str) -> Reply:
    t = ctx.t
    step_text, when = split_due(text)
    due = None
    if when:
        due = parse_due(when, ctx.now().astimezone(ZoneInfo(ctx.community.timezone)))
    if not step_text:
        raise UsageError(N_("Missing {arg}."), arg=t(N_("text")))
    _, count = await ctx.services.projects.set_next_step(project, ctx.person, step_text, due, ctx.community)
    reply = Reply().para(t(N_("Next step of {project}: "), project=project.title), bold(step_text))
    if due:
        reply.para(t(N_("Due {date}."), date=t.date(due)))
    else:
        reply.para(t(N_("No date yet: add one with “by <date>” / “pour <date>”.")))
    return reply.para(t.n("{count} follower notified.", "{count} followers notified.", count))
