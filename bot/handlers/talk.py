"""Words that are neither a command nor an answer, in a direct chat or a mail (or addressed to Relais in a group):
a how-to question gets the commands that do it, a text naming a project can go to its referents, the rest a short
friendly reply with somewhere to go."""

from __future__ import annotations

import re

from bot.core.commands import answers
from bot.core.i18n import N_
from bot.core.replies import Reply, code
from bot.runtime.context import Context
from bot.services.comment_notices import quoted
from bot.services.howto import asks_how, named_projects

_THANKS = re.compile(r"^\W*(merci|thanks?|thank you|super|parfait|génial|great|ok|d'accord|top)\b[\w\s!.,'’-]{0,40}$", re.IGNORECASE)
MAX_CHOICE_TEXT = 1000  # the longest text a choice carries to /question or /contact


def _visible(ctx: Context):
    def allowed(cmd) -> bool:
        return cmd.role is None or cmd.referent_of is not None or (ctx.role is not None and ctx.role >= cmd.role)
    return allowed


@answers("free text")
async def free_text(ctx: Context, text: str, data: dict) -> Reply:
    t = ctx.t
    community = ctx.community
    if _THANKS.match(text):
        return Reply().para(t(N_("You are welcome! Type /help whenever you need me.")))
    projects: list[str] = []
    titles: dict[str, str] = {}
    if community is not None and ctx.membership is not None:
        listed = await ctx.services.projects.listing(community)
        titles = {p.slug: p.title for p, _ in listed}
        projects = named_projects(text, titles.items(), ctx.locale)[:3]
    howto = ctx.services.howto
    names = [f"{slug} {titles[slug]}" for slug in projects]  # a project's name says no task
    commands = howto.best(text, ctx.locale, _visible(ctx), ignore=names) if howto is not None and asks_how(text) else []
    reply = Reply()
    if commands:
        reply.items([(code(cmd.usage(t)), " — ", t(cmd.help)) for cmd in commands], title=t(N_("This may be what you are looking for:")))
        for cmd in commands:
            reply.choice(t(N_("Help on {command}"), command=cmd.localized_name(t.locale)), f"help {cmd.localized_name(t.locale)}")
    if projects:
        said = text[:MAX_CHOICE_TEXT]
        if not commands:
            reply.para(t(N_("Shall I send this to the referents of {projects}, as a question?"),
                         projects=t(N_(" or ")).join(titles[s] for s in projects)))
        for slug in projects:
            reply.choice(t(N_("Send it to the referents of {project}"), project=titles[slug]), f"question {slug} {said}")
    if not commands and not projects:
        name = community.name if community is not None else "Relais"
        reply.para(t(N_("I am Relais, the assistant of {community}; I did not understand « {text} »."), community=name,
                     text=quoted(text, 80)))
        reply.para(t(N_("To write to a project's referents: /question <project> <text>. To see what I can do: /help.")))
        reply.choice(t(N_("See the projects")), "projects").choice(t(N_("All the commands")), "help")
        if community is not None and ctx.membership is not None:
            reply.choice(t(N_("Send it to the facilitators")), f"contact {text[:MAX_CHOICE_TEXT]}")
    return reply
