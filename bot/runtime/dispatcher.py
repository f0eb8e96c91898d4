"""Parse once, check the role, run the handler (or the answer to a pending question); every failure becomes a
localized reply, and the traceback of an unexpected one stays in the log with a reference."""

from __future__ import annotations

import difflib
import logging
import secrets
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.core import parser
from bot.core.commands import FILES_ONLY, Arg, Command, Registry, fold
from bot.core.errors import Ambiguous, UsageError, UserError
from bot.core.i18n import N_, Catalogs, Translator, normalize_locale
from bot.core.incoming import Incoming, Origin
from bot.core.metrics import NOTHING, Meter
from bot.core.numbers import clean, is_number
from bot.core.replies import Choice, Reply, code
from bot.runtime.context import Context
from models import PendingQuestion

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("relais.core")
# Answer handlers the core calls by name when a feature declares them (bot/handlers/comments.py):
REPLY = "reply"  # a reply to a message of Relais: a comment on what it spoke of (or the answer it asked for)
FREE_TEXT = "free text"  # words that are neither a command nor an answer, in a direct chat or addressed to Relais
MISTYPED = 0.75  # how close a first word must be to a command's name for a short line to be a mistyped command
FILES_ALONE = N_("A photo without a command: send it with “/news <project> <text>” as its caption (or “/document <project>” "
                 "for a project's documents).")


class Dispatcher:
    def __init__(self, registry: Registry, services: Services, catalogs: Catalogs, default_locale: str = "fr"):
        self.registry = registry
        self.services = services
        self.catalogs = catalogs
        self.default_locale = default_locale
        self.meter: Meter = NOTHING  # each command's latency, by its name

    async def handle(self, incoming: Incoming) -> Reply | None:
        """The reply to one message, or None when the message is not for Relais (group chatter).

        In order: a reply to a message of Relais (not a /command) is about what that message spoke of; a question
        Relais is waiting for owns the next message (but a /command, or `cancel`); then commands; then words that
        are no command, answered in a direct chat or when Relais is addressed."""
        if not (incoming.text.isascii() and incoming.text.isprintable()):
            incoming = replace(incoming, text=clean(incoming.text))  # whatever the channel, no control character goes on
        line = parser.split_line(incoming.text)
        chosen = incoming.origin in (Origin.BUTTON, Origin.LINK)  # a choice picked (a number, a button) is its command
        replying = bool(incoming.replying_to) and line is not None and not line.prefixed and not chosen and REPLY in self.registry.answers
        alone = line is None and bool(incoming.files) and (incoming.direct or incoming.addressed)  # files with no words
        if (line is None and not alone) or (line is not None and not (line.prefixed or incoming.direct or incoming.addressed or replying)):
            return None
        t = self.catalogs.get(incoming.locale or self.default_locale)
        cmd = None
        began = time.perf_counter()
        try:
            ctx = await self._context(incoming)
            t = ctx.t
            if line is None:  # files alone answer the question waiting (the file `document` asked for), or are explained
                pending = await self._pending(ctx)
                if pending is not None:
                    return await self._answer_pending(ctx, pending, "")
                return Reply().para(t(FILES_ALONE))
            if replying:
                topics = await self.services.topics.of_message(incoming.platform, incoming.replying_to)
                if topics:
                    return await self._answer(ctx, REPLY, {"topics": [list(item) for item in topics]}, line.raw)
                if not (incoming.direct or incoming.addressed):
                    return None  # a reply to a message Relais does not know (someone else's): chatter
            found, used = self.registry.resolve(line.words)
            cancels = found is not None and found.name == "cancel" and used == len(line.words)  # drops the question instead
            if not line.prefixed and not chosen and not cancels:
                pending = await self._pending(ctx)
                if pending is not None and (incoming.files or not pending.data.get(FILES_ONLY)):
                    return await self._answer_pending(ctx, pending, line.raw)
            cmd = found
            if cmd is None:
                return await self._unknown_line(ctx, line)
            log.info("command", extra={"command": cmd.name, "platform": incoming.platform, "origin": str(incoming.origin)})
            kwargs = await self._arguments(cmd, ctx, parser.rest_after(line.raw, used))
            self._check_role(cmd, ctx)
            if cmd.referent_of:
                await self._check_referent(ctx, kwargs[cmd.referent_of])
            reply = await cmd.handler(ctx, **kwargs)
            await self._after(ctx, reply)
            return reply
        except UsageError as exc:
            return self._error(t, exc, exc.command or cmd)
        except UserError as exc:
            return self._error(t, exc, None)
        except Exception:
            ref = secrets.randbelow(900000) + 100000
            log.exception("unexpected error", extra={"ref": ref, "command": cmd.name if cmd else None})
            return Reply(error=True).para(t(N_("Something went wrong (ref {ref}). The facilitators can look it up in the log."), ref=ref))
        finally:
            if cmd is not None:  # a command ran (or was refused): its time from the message to the reply
                self.meter.command(cmd.name, time.perf_counter() - began)

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

    async def _answer_pending(self, ctx: Context, pending: PendingQuestion, text: str) -> Reply:
        if self.registry.answers.get(pending.handler) is None:  # asked by a version of Relais that had this handler
            await self.services.conversations.drop(ctx.person.id)
            raise UserError(N_("That question is closed. Type /help to see what I can do."))
        if pending.community_id and (ctx.community is None or ctx.community.id != pending.community_id):
            ctx.community = await self.services.people.community_by_id(pending.community_id)
            ctx.membership = await self.services.people.membership(ctx.person, ctx.community)
        reply = await self._answer(ctx, pending.handler, dict(pending.data), text)
        if reply.question is None:
            await self.services.conversations.drop(ctx.person.id)
        return reply

    async def _answer(self, ctx: Context, handler: str, data: dict, text: str) -> Reply:
        log.info("answer", extra={"handler": handler, "platform": ctx.incoming.platform})
        reply = await self.registry.answers[handler].handler(ctx, text.strip(), data)
        await self._after(ctx, reply)
        return reply

    async def _after(self, ctx: Context, reply: Reply | None) -> None:
        """What a reply leaves behind: its question waits for the answer; its numbered items answer `/reply <n>`."""
        if reply is None:
            return
        question = reply.question
        if question is not None:
            community = ctx.community.id if ctx.community else None
            await self.services.conversations.ask(ctx.person.id, question, ctx.where, community)
        if reply.numbered:
            await self.services.topics.shown(ctx.where, reply.numbered)


    # -- arguments and permissions ------------------------------------------------------------------------

    async def _arguments(self, cmd: Command, ctx: Context, rest: str) -> dict:
        values: dict = {}
        line = rest
        for arg in cmd.args:
            before = rest
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
            try:
                values[arg.name] = await self._convert(arg, raw, ctx, cmd)
            except Ambiguous as exc:  # each choice: the same command line, with the one meant in place of what was typed
                head = line[:len(line) - len(before.lstrip())].strip()
                where = raw.rpartition("/")[0] + "/" if arg.kind == "project" and "/" in raw else ""  # `other/slug` stays
                exc.choices = [Choice(label, " ".join(w for w in (cmd.name, head, where + value, rest) if w))
                               for label, value in exc.options]
                raise
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
        if arg.kind == "poll":  # `other#3` names a poll of another community of the person: its role is checked there
            poll = await services.votes.find(ctx.community, raw, ctx.person)
            if ctx.community is None or poll.community_id != ctx.community.id:
                ctx.community = await services.people.community_by_id(poll.community_id)
                ctx.membership = await services.people.membership(ctx.person, ctx.community)
            return poll
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
        await ctx.need_referent(project)

    # -- errors -------------------------------------------------------------------------------------------

    async def _unknown_line(self, ctx: Context, line: parser.Line) -> Reply:
        """A line that is no command: a number with no such choice; in a direct chat or addressed to Relais, words
        read for what they ask (a short mistyped command still gets "did you mean"); else "unknown command"."""
        t, raw = ctx.t, line.raw.strip()
        if is_number(raw, digits=12):
            return Reply(error=True).para(t(N_("There is no choice {number} here. Type /help to see what I can do."),
                                            number=raw))
        talk = not line.prefixed and (ctx.incoming.direct or ctx.incoming.addressed) and FREE_TEXT in self.registry.answers
        if talk and not (len(line.words) <= 3 and self.closest(line.words[0], t, MISTYPED) is not None):
            return await self._answer(ctx, FREE_TEXT, {}, raw)
        return self._unknown(line.words[0], t, parser.rest_after(line.raw, 1))

    def _unknown(self, word: str, t: Translator, rest: str = "") -> Reply:
        target = self.closest(word, t)
        reply = Reply(error=True)
        if target is not None:
            name = target.localized_name(t.locale)
            reply.para(t(N_("Unknown command “{word}”. Did you mean {suggestion}?"), word=word[:40], suggestion="/" + name))
            reply.para(code(target.usage(t)))
            if rest and len(rest) <= 200:  # the command meant, with what followed it (`suivre brasserie`)
                reply.choice(f"/{name} {rest}"[:64], f"{name} {rest}")
            reply.choice(t(N_("Help on {command}"), command=name), f"help {name}")
        else:
            reply.para(t(N_("Unknown command “{word}”. Type /help to see what I can do."), word=word[:40]))
        return reply

    def closest(self, word: str, t: Translator, cutoff: float = 0.6) -> Command | None:
        """The command a mistyped word most likely meant (`folow` → follow), or None."""
        names = [fold(c.localized_name(t.locale)) for c in self.registry.commands] + self.registry.names()
        close = difflib.get_close_matches(fold(word), names, n=1, cutoff=cutoff)
        return self.registry.get(close[0]) if close else None

    def _error(self, t: Translator, exc: UserError, cmd: Command | None) -> Reply:
        reply = Reply(error=True).para(t(exc.message, **exc.params))
        if cmd is not None:
            reply.para(t(N_("Usage:")), " ", code(cmd.usage(t)))
        for choice in exc.choices:
            reply.choices.append(choice if isinstance(choice, Choice) else Choice(*choice))
        return reply
