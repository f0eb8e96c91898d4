"""projects, project, follow, unfollow, following: what members read and follow."""

from __future__ import annotations

from bot.core.commands import Arg, command
from bot.core.i18n import N_
from bot.core.replies import About, Reply, bold, italic
from bot.handlers.moderation import open_list
from bot.runtime.context import Context
from models import Project, Role

SECTION = N_("Projects")
PROJECT = Arg("project", "project", N_("project"))


@command("projects", fr=("projets",), help=N_("List the projects of your community."), section=SECTION, role=Role.OBSERVER,
         reads=True)
async def projects(ctx: Context) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    rows = await ctx.services.projects.listing(community)
    if not rows:
        return Reply().para(t(N_("{community} has no project yet."), community=community.name))
    reply = Reply()
    items = [(bold(p.title), f" ({p.slug}) — ", t(p.status.label), ", ",
              t.n("{count} follower", "{count} followers", n)) for p, n in rows]
    reply.items(items, title=t(N_("Projects of {community}"), community=community.name))
    for p, _ in rows[:8]:
        reply.choice(p.title, f"project {p.slug}")
    return reply


@command("project", fr=("projet",), args=(PROJECT,), help=N_("Show a project: summary, referents, next step, latest news."),
         section=SECTION, role=Role.OBSERVER, reads=True)
async def project(ctx: Context, project: Project) -> Reply:
    t = ctx.t
    card = await ctx.services.projects.card(project)
    reply = Reply().para(bold(project.title), f" ({project.slug}) — ", t(project.status.label))
    if project.summary:
        reply.para(project.summary)
    referents = ", ".join(p.display_name for p in card["referents"]) or t(N_("none yet"))
    reply.para(t(N_("Referents: {names}"), names=referents))
    step = card["step"]
    if step is None:
        reply.para(t(N_("Next step: not set yet.")))
    elif step.due:
        overdue = step.due < ctx.now().date()
        reply.para(t(N_("Next step: ")), step.text, " — ", italic(t(N_("by {date}"), date=t.date(step.due))),
                   " ⚠️ " + t(N_("overdue")) if overdue else "")
    else:
        reply.para(t(N_("Next step: ")), step.text, " — ", italic(t(N_("no date yet"))))
    if card["news"]:
        reply.items([(italic(t.date(n.created_at.date(), "medium")), " — ", n.text) for n in card["news"]],
                    title=t(N_("Latest news")))
    reply.para(t.n("{count} follower", "{count} followers", len(card["followers"])))
    if ctx.person.id in card["followers"]:
        reply.choice(t(N_("Stop following")), f"unfollow {project.slug}")
    else:
        reply.choice(t(N_("Follow")), f"follow {project.slug}")
    await _talk(ctx, project, card, reply)
    return reply


async def _talk(ctx: Context, project: Project, card: dict, reply: Reply) -> None:
    """The questions answered and published; for its referents and the facilitators, the messages waiting; for the
    others, how to write to the referents (a reply to the card does it)."""
    t, comments = ctx.t, ctx.services.comments
    published = await comments.published_of(project, limit=3)
    if published:
        reply.items([(bold(c.text), " → ", c.answer) for c in published], title=t(N_("Questions answered")))
    staff = (ctx.role is not None and ctx.role >= Role.FACILITATOR) or any(p.id == ctx.person.id for p in card["referents"])
    if staff:
        waiting = await comments.open_of(project)
        if waiting:
            await open_list(ctx, waiting, t(N_("Waiting for your answer")), reply)
        return
    reply.add(About((("project", project.id, project.id),),
                    hint=t(N_("↩️ A question, help to offer? Reply to this message: the referents get it.")),
                    command=t(N_("↩️ A question, help to offer? /question {slug} <your text>"), slug=project.slug), numbered=False))
    reply.choice(t(N_("I can help")), f"help-out {project.slug}")


@command("follow", fr=("suivre",), args=(PROJECT,), help=N_("Follow a project: you get its news and next steps."),
         section=SECTION, role=Role.OBSERVER)
async def follow(ctx: Context, project: Project) -> Reply:
    t = ctx.t
    if not await ctx.services.projects.follow(ctx.person, project):
        return Reply().para(t(N_("You already follow {project}."), project=project.title))
    return (Reply().para(t(N_("You now follow {project}. Its news and next steps will reach you."), project=project.title))
            .choice(t(N_("Undo")), f"unfollow {project.slug}"))


@command("unfollow", fr=("ne-plus-suivre", "nepassuivre", "arrêter"), args=(PROJECT,),
         help=N_("Stop following a project."), section=SECTION, role=Role.OBSERVER)
async def unfollow(ctx: Context, project: Project) -> Reply:
    t = ctx.t
    if not await ctx.services.projects.unfollow(ctx.person, project):
        return Reply().para(t(N_("You do not follow {project}."), project=project.title))
    return (Reply().para(t(N_("You no longer follow {project}."), project=project.title))
            .choice(t(N_("Undo")), f"follow {project.slug}"))


@command("following", fr=("suivis", "abonnements"), help=N_("List the projects you follow."), section=SECTION)
async def following(ctx: Context) -> Reply:
    t = ctx.t
    rows = await ctx.services.projects.following(ctx.person, None)
    if not rows:
        return Reply().para(t(N_("You follow no project yet. Type /projects to find some.")))
    several = len({p.community_id for p in rows}) > 1
    items = [(bold(p.title), f" ({p.slug})" + (f" — {p.community_name}" if several else "")) for p in rows]
    return Reply().items(items, title=t(N_("You follow:")))
