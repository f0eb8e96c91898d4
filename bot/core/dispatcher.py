"""Parse once, check the role, run the handler; turn every failure into a localized reply."""

from __future__ import annotations

import difflib
import logging
import secrets

from bot.core import parser
from bot.core.commands import Arg, Command, Registry, fold
from bot.core.context import Context
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_, Catalogs, Translator, normalize_locale
from bot.core.incoming import Incoming
from bot.core.replies import Choice, Reply, code
from models import Role

log = logging.getLogger("relais.core")

ROLE_NAMES = {Role.OBSERVER: N_("observer"), Role.MEMBER: N_("member"), Role.REFERENT: N_("referent"),
              Role.FACILITATOR: N_("facilitator")}


class Dispatcher:
    def __init__(self, registry: Registry, services, catalogs: Catalogs, default_locale: str = "fr"):
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
                return self._unknown(line.words[0], t)
            log.info("command", extra={"command": cmd.name, "platform": incoming.platform, "origin": str(incoming.origin)})
            kwargs = await self._arguments(cmd, ctx, parser.rest_after(line.raw, used))
            self._check_role(cmd, ctx, kwargs)
            if cmd.referent_of:
                await self._check_referent(cmd, ctx, kwargs[cmd.referent_of])
            return await cmd.handler(ctx, **kwargs)
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

    async def _arguments(self, cmd: Command, ctx: Context, rest: str) -> dict:
        values: dict = {}
        for i, arg in enumerate(cmd.args):
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
            values[arg.name] = await self._convert(arg, raw, ctx, cmd)
        if rest:
            raise UsageError(N_("Too many words: “{extra}”."), command=cmd, extra=rest)
        return values

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
                raise UsageError(N_("“{value}” is not one of: {options}."), command=cmd, value=raw, options=", ".join(arg.choices))
            return fold(raw)
        return raw

    def _check_role(self, cmd: Command, ctx: Context, kwargs: dict) -> None:
        if cmd.role is None:
            return
        ctx.need_community()
        if cmd.referent_of:
            return  # referents of the named project may run it, checked next
        if ctx.role is None or ctx.role < cmd.role:
            raise UserError(N_("Only a {role} of {community} can do that."), role=ctx.t(ROLE_NAMES[cmd.role]), community=ctx.community.name)

    async def _check_referent(self, cmd: Command, ctx: Context, project) -> None:
        if ctx.role is not None and ctx.role >= Role.FACILITATOR:
            return
        if not await self.services.projects.is_referent(project, ctx.person):
            raise UserError(N_("Only the referents of {project} and the facilitators can do that."), project=project.title)

    def _unknown(self, word: str, t: Translator) -> Reply:
        names = [fold(c.localized_name(t.locale)) for c in self.registry.commands] + self.registry.names()
        close = difflib.get_close_matches(fold(word), names, n=1, cutoff=0.6)
        reply = Reply(error=True)
        if close:
            target = self.registry.get(close[0])
            name = target.localized_name(t.locale)
            reply.para(t(N_("Unknown command “{word}”. Did you mean {suggestion}?"), word=word, suggestion="/" + name))
            reply.para(code(target.usage(t)))
            reply.choice(t(N_("Help on {command}"), command=name), f"help {name}")
        else:
            reply.para(t(N_("Unknown command “{word}”. Type /help to see what I can do."), word=word))
        return reply

    def _error(self, t: Translator, exc: UserError, cmd: Command | None) -> Reply:
        reply = Reply(error=True).para(t(exc.message, **exc.params))
        if cmd is not None:
            reply.para(t(N_("Usage:")), " ", code(cmd.usage(t)))
        for choice in exc.choices:
            reply.choices.append(choice if isinstance(choice, Choice) else Choice(*choice))
        return reply
