"""Which lines of a mail are commands, and the one reply that sums up what became of them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core import parser
from bot.core.commands import Registry, fold
from bot.core.i18n import N_
from bot.core.incoming import Origin
from bot.core.replies import Block, Choice, Reply, Span, code

MAX_LINES = 10  # like Mailman: a mail is read for commands on its first lines only
MAX_CHOICES = 9
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|tr|aw|sv|antw)\s*:\s*)+", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
_END = {"end", "fin", "stop", "merci", "thanks"}


@dataclass
class Lines:
    commands: list[tuple[str, Origin]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unknown_only: bool = False  # nothing looked like a command: the first line is run to get "did you mean"


def is_number(text: str) -> bool:
    """Whether the mail's first line is a lone number (the answer to a numbered choice)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return bool(_NUMBER.match(first))


def is_command(registry: Registry, line: str) -> bool:
    """Whether the core knows the line's command word(s); the core still parses the line itself.

    A line ending like a salutation ("Bonjour à tous,", "Hello everyone:") is prose even when its first word
    is also a command name (`bonjour` starts Relais)."""
    if line.rstrip().endswith((",", ":", ";")):
        return False
    split = parser.split_line(line)
    return split is not None and registry.resolve(split.words)[0] is not None


def command_lines(subject: str, text: str, registry: Registry, choices: list[Choice] | None = None) -> Lines:
    """The subject (unless a reply or forward) and the first lines of the text; a lone number answers a choice."""
    out = Lines()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if choices and lines:
        number = _NUMBER.match(lines[0])
        if number and 1 <= int(number.group(1)) <= len(choices):
            out.commands.append((choices[int(number.group(1)) - 1].command, Origin.BUTTON))
            return out
    body: list[str] = []
    for line in lines[:MAX_LINES]:
        if fold(line.strip(" .!,")) in _END:
            break
        body.append(line)
    head = [subject.strip()] if subject.strip() and not _REPLY_PREFIX.match(subject) else []
    candidates = list(dict.fromkeys(head + body))  # a subject repeated as the first line runs once
    for line in candidates:
        if is_command(registry, line):
            out.commands.append((line, Origin.EMAIL))
        else:
            out.ignored.append(line)
    if not out.commands:
        out.unknown_only = True
        first = body[0] if body else (head[0] if head else "help")
        out.commands.append((first, Origin.EMAIL))
        out.ignored = [line for line in out.ignored if line != first]
    return out


def summary(results: list[tuple[str, Reply]], ignored: list[str], t, expired_context: bool = False) -> Reply:
    """One reply for the whole mail: each command with its answer, what failed and why, what was ignored."""
    out = Reply()
    if expired_context:
        out.para(t(N_("This reply address has expired, so a number could not be matched to a choice; "
                      "write commands instead (for instance “help”).")))
    if len(results) == 1:
        out.extend(results[0][1])
    else:
        failed = sum(1 for _, reply in results if reply.error)
        out.para(t(N_("I read {count} commands in your mail: {done} done, {failed} failed."),
                   count=len(results), done=len(results) - failed, failed=failed))
        for line, reply in results:
            mark = "✗ " if reply.error else "✓ "
            out.blocks.append(Block(spans=[Span(mark), code(line)]))
            out.blocks.extend(reply.blocks)
        out.choices = [c for _, reply in results for c in reply.choices]
    out.error = any(reply.error for _, reply in results)
    out.choices = out.choices[:MAX_CHOICES]
    if ignored:
        out.items([code(line[:80]) for line in ignored[:5]], title=t(N_("Lines I did not take as commands:")))
    return out
