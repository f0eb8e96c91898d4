"""Parse once, check the role, run the handler (or the answer to a pending question); every failure becomes a
localized reply, and the traceback of an unexpected one stays in the log with a reference."""

from __future__ import annotations

import difflib
import logging
import secrets
from typing import TYPE_CHECKING

from bot.core import parser
from bot.core.commands import Arg, Command, Registry, fold
from bot.core.context import Context
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_, Catalogs, Translator, normalize_locale
from bot.core.incoming import Incoming
from bot.core.replies import Choice, Reply, code
from models import PendingQuestion, Role

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("relais.core")


class Dispatcher:
    def __init__(self, registry: Registry, services: Services, catalogs: Catalogs, default_locale: str = "fr"):
        self.registry = registry
        self.services = services
        self.catalogs = catalogs
        self.default_locale = default_locale

    async def handle(self, incoming: Incoming) -> Reply | None:
        """The reply to one message, or None when the message is not for Relais (group chatter)."""
        line = parser.split_line(incoming.text)
        if line is None or not (line.prefixed or incoming.direct or incoming.addressed):
            return None
        t = self.catalogs.get(incoming.locale or self.default_locale)
        cmd = None
        try:
            ctx = await self._context(incoming)
            t = ctx.t
            cmd, used = self.registry.resolve(line.words)
            if cmd is None:
                pending = None if line.prefixed else await self._pending(ctx)
                if pending is not None:
                    return await self._answer(ctx, pending, line.raw)
                return self._unknown(line.words[0], t)
            log.info("command", extra={"command": cmd.name, "platform": incoming.platform, "origin": str(incoming.origin)})
            kwargs = await self._arguments(cmd, ctx, parser.rest_after(line.raw, used))
            self._check_role(cmd, ctx)
            if cmd.referent_of:
                await self._check_referent(ctx, kwargs[cmd.referent_of])
            reply = await cmd.handler(ctx, **kwargs)
            await self._ask(ctx, reply)
            return reply
        except UsageError as exc:
            return self._error(t, exc, exc.command or cmd)
        except UserError as exc:
            return self._error(t, exc, None)
        except Exception:
            ref = secrets.randbelow(900000) + 100000
            log.exception("unexpected error", extra={"ref": ref, "command": cmd.name if cmd else None})
            return Reply(error=True).para(t(N_("Something went wrong (ref {ref}). The facilitators can look it up in the log."), ref=ref))

    async def _context(self, incoming: Incoming) -> Context:
        account, community, membership = await self.services.people.resolve(
            incoming.platform, incoming.address, incoming.chat, incoming.display_name,
            normalize_locale(incoming.locale, "") or None)
        person = account.person
        locale = person.locale or (community.locale if community else None) or incoming.locale or self.default_locale
        return Context(incoming, account, person, community, membership, self.catalogs.get(locale), self.services, self.registry)

    # -- conversations ------------------------------------------------------------------------------------

    async def _pending(self, ctx: Context) -> PendingQuestion | None:
        """The person's open question, when this message can answer it: a direct chat or a mail (any platform),
        or the very chat it was asked in."""
        pending = await self.services.conversations.pending(ctx.person.id)
        if pending is None or not (ctx.incoming.direct or pending.conversation == ctx.where):
            return None
        return pending

    async def _answer(self, ctx: Context, pending: PendingQuestion, text: str) -> Reply:
        answer = self.registry.answers.get(pending.handler)
        if answer is None:  # asked by a version of Relais that had this handler
            await self.services.conversations.drop(ctx.person.id)
            raise UserError(N_("That question is closed. Type /help to see what I can do."))
        if pending.community_id and (ctx.community is None or ctx.community.id != pending.community_id):
            ctx.community = await self.services.people.community_by_id(pending.community_id)
            ctx.membership = await self.services.people.membership(ctx.person, ctx.community)
        log.info("answer", extra={"handler": pending.handler, "platform": ctx.incoming.platform})
        reply = await answer.handler(ctx, text.strip(), dict(pending.data))
        if reply.question is None:
            await self.services.conversations.drop(ctx.person.id)
        await self._ask(ctx, reply)
        return reply

    async def _ask(self, ctx: Context, reply: Reply | None) -> None:
        question = reply.question if reply is not None else None
        if question is not None:
            community = ctx.community.id if ctx.community else None
            await self.services.conversations.ask(ctx.person.id, question, ctx.where, community)

    # -- arguments and permissions ------------------------------------------------------------------------

    async def _arguments(self, cmd: Command, ctx: Context, rest: str) -> dict:
        values: dict = {}
        for arg in cmd.args:
            if arg.kind == "text":
                raw = parser.unquote(rest) if rest.count('"') == 2 and rest.startswith('"') else rest.strip()
                rest = ""
            else:
                raw, rest = parser.next_token(rest)
            if not raw:
                if arg.required:
                    raise UsageError(N_("Missing {arg}."), command=cmd, arg=arg.metavar(ctx.t))
                values[arg.name] = None
                continue
            self._check_length(arg, raw, ctx, cmd)
            values[arg.name] = await self._convert(arg, raw, ctx, cmd)
        if rest:
            extra = rest if len(rest) <= 80 else rest[:79] + "…"
            raise UsageError(N_("Too many words: “{extra}”."), command=cmd, extra=extra)
        return values

    @staticmethod
    def _check_length(arg: Arg, raw: str, ctx: Context, cmd: Command) -> None:
        """Longer than its column: the usage line and the limit, never a database error (nor the text in a log)."""
        parts = raw.split("/", 1) if arg.kind == "project" else [raw]
        limit = 64 if arg.kind == "project" else arg.limit
        if any(len(part) > limit for part in parts):
            raise UsageError(N_("{arg} is too long: at most {limit} characters."), command=cmd, arg=arg.metavar(ctx.t),
                             limit=limit)

    async def _convert(self, arg: Arg, raw: str, ctx: Context, cmd: Command):
        services = self.services
        if arg.kind == "project":
            if "/" in raw:  # `community/slug` names another community of the person
                slug, _, name = raw.partition("/")
                community = await services.people.community(slug)
                membership = await services.people.membership(ctx.person, community)
                if membership is None:
                    raise UserError(N_("You are not a member of {community}. Type /join {slug} first."), community=community.name, slug=community.slug)
                ctx.community, ctx.membership = community, membership
                return await services.projects.get(community, name)
            return await services.projects.get(ctx.need_community(), raw)
        if arg.kind == "community":
            return await services.people.community(raw)
        if arg.kind == "person":
            return await services.people.find_member(ctx.need_community(), raw)
        if arg.kind == "choice":
            if fold(raw) not in {fold(c) for c in (arg.accept or arg.choices)}:
                options = ", ".join(arg.shown(ctx.locale))
                raise UsageError(N_("“{value}” is not one of: {options}."), command=cmd, value=raw, options=options)
            return fold(raw)
        return raw

    def _check_role(self, cmd: Command, ctx: Context) -> None:
        if cmd.role is None:
            return
        community = ctx.need_community()
        if cmd.referent_of:
            return  # referents of the named project may run it, checked next
        if ctx.role is None or ctx.role < cmd.role:
            raise UserError(N_("Only a {role} of {community} can do that."), role=ctx.t(cmd.role.label), community=community.name)

    async def _check_referent(self, ctx: Context, project) -> None:
        if ctx.role is not None and ctx.role >= Role.FACILITATOR:
            return
        if not await self.services.projects.is_referent(project, ctx.person):
            raise UserError(N_("Only the referents of {project} and the facilitators can do that."), project=project.title)

    # -- errors -------------------------------------------------------------------------------------------

    def _unknown(self, word: str, t: Translator) -> Reply:
        target = self.closest(word, t)
        reply = Reply(error=True)
        if target is not None:
            name = target.localized_name(t.locale)
            reply.para(t(N_("Unknown command “{word}”. Did you mean {suggestion}?"), word=word[:40], suggestion="/" + name))
            reply.para(code(target.usage(t)))
            reply.choice(t(N_("Help on {command}"), command=name), f"help {name}")
        else:
            reply.para(t(N_("Unknown command “{word}”. Type /help to see what I can do."), word=word[:40]))
        return reply

    def closest(self, word: str, t: Translator) -> Command | None:
        """The command a mistyped word most likely meant (`folow` → follow), or None."""
        names = [fold(c.localized_name(t.locale)) for c in self.registry.commands] + self.registry.names()
        close = difflib.get_close_matches(fold(word), names, n=1, cutoff=0.6)
        return self.registry.get(close[0]) if close else None

    def _error(self, t: Translator, exc: UserError, cmd: Command | None) -> Reply:
        reply = Reply(error=True).para(t(exc.message, **exc.params))
        if cmd is not None:
            reply.para(t(N_("Usage:")), " ", code(cmd.usage(t)))
        for choice in exc.choices:
            reply.choices.append(choice if isinstance(choice, Choice) else Choice(*choice))
        return reply
