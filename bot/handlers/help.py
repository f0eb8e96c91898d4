"""help and start: what Relais can do, from the command registry."""

from __future__ import annotations

import difflib

from bot.core.commands import Arg, command, fold
from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.replies import Reply, code
from bot.handlers.invitations import join_invited
from bot.handlers.projects import follow
from bot.runtime.context import Context

SECTION = N_("General")


def _visible(ctx: Context):
    for cmd in ctx.registry.commands:
        if cmd.role is None or (ctx.role is not None and ctx.role >= cmd.role) or cmd.referent_of:
            yield cmd


@command("help", fr=("aide",), en=("?",), args=(Arg("command", "text", N_("command"), required=False),),
         help=N_("List the commands, or explain one: /help follow."), section=SECTION)
async def help_(ctx: Context, command: str | None) -> Reply:
    t = ctx.t
    if command:
        words = command.lstrip("/!").split()
        cmd, _ = ctx.registry.resolve(words)
        if cmd is None:
            names = [c.localized_name(t.locale) for c in ctx.registry.commands]
            close = difflib.get_close_matches(fold(command), [fold(n) for n in names], n=3, cutoff=0.5)
            raise UserError(N_("No command “{word}”. Did you mean: {close}?") if close else N_("No command “{word}”."),
                            word=command, close=", ".join("/" + c for c in close))
        other = cmd.aliases.get("en" if t.locale == "fr" else "fr") or (cmd.name,)
        reply = Reply().para(code(cmd.usage(t))).para(t(cmd.help))
        reply.para(t(N_("Also written: {names}."), names=", ".join("/" + n for n in dict.fromkeys((cmd.name, *other)) if n != cmd.localized_name(t.locale))))
        return reply
    reply = Reply().para(t(N_("Here is what I can do. Type /help <command> for details.")))
    sections: dict[str, list] = {}
    for cmd in _visible(ctx):
        sections.setdefault(cmd.section, []).append((code(cmd.usage(t)), " — ", t(cmd.help)))
    for section, rows in sections.items():
        reply.items(rows, title=t(section))
    return reply


@command("start", fr=("démarrer", "bonjour"), args=(Arg("payload", "word", N_("code"), required=False),),
         help=N_("Say hello to Relais and see where to begin."), section=SECTION)
async def start(ctx: Context, payload: str | None) -> Reply:
    t = ctx.t
    if payload and payload.startswith("inv-"):  # deep link from an invitation: joining, counted for whoever invited
        return await join_invited(ctx, payload)
    if payload and payload.startswith("follow-"):  # deep link from a project card: one tap follows
        project = await ctx.services.projects.get(ctx.need_community(), payload.removeprefix("follow-"))
        return await follow(ctx, project)
    reply = Reply().para(t(N_("Hello {name}! I am Relais, the assistant of your community."), name=ctx.person.display_name))
    if ctx.community:
        reply.para(t(N_("You are in {community}."), community=ctx.community.name))
    reply.para(t(N_("Follow the projects you care about to get their news and next steps.")))
    return (reply.choice(t(N_("See the projects")), "projects")
            .choice(t(N_("All the commands")), "help"))


@command("cancel", fr=("annuler",), help=N_("Drop the question I am waiting for you to answer."), section=SECTION)
async def cancel(ctx: Context) -> Reply:
    t = ctx.t
    if await ctx.services.conversations.drop(ctx.person.id):
        return Reply().para(t(N_("All right, I dropped my question.")))
    return Reply().para(t(N_("There is nothing to cancel.")))
