"""Which lines of a mail are commands, and the one reply that sums up what became of them."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable
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
_PUNCTUATION = " .!?,;:…-"
_ENDS = {"end", "fin", "stop"}  # like Mailman: a line saying only this ends the commands
# What people write around commands, folded (lower case, no accents), each alone or followed by a few words ("Bonjour
# à tous,", "Merci beaucoup !", "Cordialement, Ana"). Neither is run nor listed among the lines not taken for commands;
# a sign-off after a command ends the commands (a name and a signature follow).
_GREETINGS = ("bonjour", "bonsoir", "salut", "coucou", "hello", "hi", "hey", "dear", "cher", "chere", "chers", "cheres",
              "madame", "monsieur", "good morning", "good afternoon", "good evening", "greetings")
_SIGN_OFFS = ("merci", "mille mercis", "thanks", "thank you", "many thanks", "cordialement", "bien cordialement",
              "tres cordialement", "bien a vous", "bien a toi", "a bientot", "bonne journee", "bonne soiree",
              "belle journee", "amities", "amicalement", "bises", "salutations", "sinceres salutations", "regards",
              "best regards", "kind regards", "warm regards", "best wishes", "cheers", "sincerely", "all the best")
CLOSE = 0.8  # stricter than the chat's "did you mean" (0.6): a mail's prose must not pass for a mistyped command


@dataclass
class Lines:
    commands: list[tuple[str, Origin]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unknown_only: bool = False  # no known command: a mistyped one or the first line is run to get "did you mean"


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


def is_close(registry: Registry, line: str) -> bool:
    """Whether a short line starts with a mistyped command name (`folow x`): run, it gets the core's "did you mean"."""
    words = line.split()
    if not words or len(words) > 4 or line.rstrip().endswith((",", ":", ";")) or len(words[0]) < 4:
        return False
    names = [name for name in registry.names() if " " not in name]
    return bool(difflib.get_close_matches(fold(words[0]), names, n=1, cutoff=CLOSE))


def _folded(line: str) -> str:
    return " ".join(fold(line).replace("’", "'").strip(_PUNCTUATION).split())


def _says(line: str, phrases: tuple[str, ...]) -> bool:
    """Whether the line is one of `phrases`, alone or followed by a few words."""
    text = _folded(line)
    return any(text == phrase or (text.startswith(phrase + " ") and len(text.split()) <= 5) for phrase in phrases)


def _is_name(line: str, own: set[str], last: bool) -> bool:
    """A signature's name: words of the sender's own name, or (as the last line) one to three capitalized words."""
    words = line.strip(_PUNCTUATION).split()
    if not 1 <= len(words) <= 3:
        return False
    if own and all(fold(word) in own for word in words):
        return True
    return last and all(word.istitle() and word.replace("-", "").replace("'", "").isalpha() for word in words)


def _complete(registry: Registry, line: str) -> bool:
    """Whether the line gives its command every required argument (a word each, the rest of the line for a text)."""
    split = parser.split_line(line)
    if split is None:
        return False
    cmd, used = registry.resolve(split.words)
    return cmd is not None and len(split.words) - used >= sum(1 for arg in cmd.args if arg.required)


def _is_lang(registry: Registry, line: str) -> bool:
    split = parser.split_line(line)
    cmd = registry.resolve(split.words)[0] if split else None
    return cmd is not None and cmd.name == "lang"


def command_lines(subject: str, text: str, registry: Registry, choices: list[Choice] | None = None,
                  names: Iterable[str] = ()) -> Lines:
    """The subject (unless a reply or forward) and the first lines of the text; a lone number answers a choice.
    Greetings, sign-offs, the sender's name (`names`: their display name, the parts of their address) and a subject
    that is no command are passed over silently; a `lang` line runs first, so the whole answer is in that language."""
    out = Lines()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if choices and lines:
        number = _NUMBER.match(lines[0])
        if number and 1 <= int(number.group(1)) <= len(choices):
            out.commands.append((choices[int(number.group(1)) - 1].command, Origin.BUTTON))
            return out
    own = {fold(word) for name in names for word in name.split() if len(word) > 1}
    head = [subject.strip()] if subject.strip() and not _REPLY_PREFIX.match(subject) and not _says(subject, _GREETINGS) else []
    body: list[str] = []
    # A subject is a command only when complete: "Question" or "Aide ?" name a topic, "suivre brasserie" acts.
    known: dict[str, bool] = {line: is_command(registry, line) and _complete(registry, line) for line in head}
    for index, line in enumerate(lines[:MAX_LINES]):
        known[line] = is_command(registry, line)
        if _folded(line) in _ENDS:
            break
        if _says(line, _GREETINGS):  # even "Bonjour", the French name of `start`
            continue
        if known[line]:
            body.append(line)
        elif _says(line, _SIGN_OFFS):
            if any(known[previous] for previous in body):
                break
        elif _is_name(line, own, last=index == len(lines) - 1):
            if index:  # a signature follows a name
                break
        else:
            body.append(line)
    run: list[str] = []  # known commands and mistyped ones, in the mail's order
    for line in dict.fromkeys(head + body):  # a subject repeated as the first line runs once
        if known[line] or (line not in head and is_close(registry, line)):
            run.append(line)
        elif line not in head:
            out.ignored.append(line)
    out.unknown_only = not any(known[line] for line in run)
    if not run:  # the first line the person wrote, for the core's "unknown command" (or help for an empty mail)
        run = out.ignored[:1] or ["help"]
        out.ignored = out.ignored[1:]
    out.commands = [(line, Origin.EMAIL) for line in run]
    out.commands.sort(key=lambda command: not _is_lang(registry, command[0]))  # stable: the others keep their order
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
        out.para(t(N_("I read {count} commands in your mail: {done}, {failed}."), count=len(results),
                   done=t.n("{count} done", "{count} done", len(results) - failed), failed=t.n("{count} failed", "{count} failed", failed)))
        for line, reply in results:
            mark = "✗ " if reply.error else "✓ "
            out.blocks.append(Block(spans=[Span(mark), code(line)]))
            out.blocks.extend(reply.blocks)
        out.choices = _labelled([(line, c) for line, reply in results for c in reply.choices])
    out.error = any(reply.error for _, reply in results)
    out.choices = out.choices[:MAX_CHOICES]
    if ignored:
        out.items([code(line[:80]) for line in ignored[:5]], title=t(N_("Lines I did not take as commands:")))
    return out


def _labelled(choices: list[tuple[str, Choice]]) -> list[Choice]:
    """Choices of several commands, numbered together: a label two of them share ("Undo") says which command it
    answers ("Undo — suivre dombes-brasserie")."""
    counts = Counter(choice.label for _, choice in choices)
    return [Choice(f"{choice.label} — {line[:60]}", choice.command) if counts[choice.label] > 1 else choice
            for line, choice in choices]
