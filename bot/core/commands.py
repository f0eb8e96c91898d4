"""Commands declared once with a decorator: names, aliases, typed arguments, help, section, role."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from types import ModuleType
from typing import Awaitable, Callable

from bot.core.i18n import N_
from models.communities import Role

EVERYONE = None  # a command anyone may run, even outside any community
# The longest value each kind of argument takes (the columns that keep them are this long): longer input gets the
# usage line and the limit, never a database error.
MAX_LENGTH = {"project": 129, "community": 64, "person": 320, "word": 200, "choice": 64, "text": 4000}


def fold(word: str) -> str:
    """Lower-case without accents, so `étape` and `etape` name the same command."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Arg:
    """A typed argument: kind is word, text (rest of the line), project, person, community, poll (`#3`, `other#3`: the
    command then acts in the poll's community) or choice."""

    name: str
    kind: str = "word"
    label: str = ""
    required: bool = True
    choices: tuple[str, ...] = ()
    accept: tuple[str, ...] = ()  # every word taken for a choice (aliases in both languages)
    max_length: int = 0  # 0: the kind's limit (MAX_LENGTH)
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the choices as written in a language (accepted)
    then: str = ""  # what may follow, in the usage line (a message id): "[by <date>]"

    @property
    def limit(self) -> int:
        return self.max_length or MAX_LENGTH.get(self.kind, 200)

    def shown(self, locale: str) -> tuple[str, ...]:
        """The choices in the reader's language (each one a word the command accepts)."""
        return self.words.get(locale, self.choices)

    def metavar(self, t) -> str:
        shown = t(self.label) if self.label else self.name
        if self.kind == "choice" and self.choices:
            shown = "|".join(self.shown(t.locale))
        written = f"<{shown}>" if self.required else f"[{shown}]"
        return f"{written} {t(self.then)}" if self.then else written


@dataclass
class Command:
    name: str
    handler: Callable[..., Awaitable]
    args: tuple[Arg, ...] = ()
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    help: str = ""
    section: str = N_("General")
    role: Role | None = EVERYONE
    referent_of: str | None = None
    group: bool = True
    reads: bool = False  # it only shows something (a project, the polls): a mail's link to it opens, never confirms

    def localized_name(self, locale: str) -> str:
        if locale == "en":
            return self.name
        names = self.aliases.get(locale)
        return names[0] if names else self.name

    def usage(self, t, prefix: str = "/") -> str:
        parts = [prefix + self.localized_name(t.locale)] + [a.metavar(t) for a in self.args]
        return " ".join(parts)


# In a question's data: only a message with files answers it (« a photo? »); any other is read as usual, the question
# still waiting.
FILES_ONLY = "files_only"


@dataclass
class Answer:
    """A handler of the answer to a Question: `fn(ctx, text, data) -> Reply`."""

    name: str
    handler: Callable[..., Awaitable]


def answers(name: str):
    """Declare the handler of the answers to the questions asked with `Question(handler=name)`."""

    def decorate(fn):
        fn.__relais_answer__ = Answer(name, fn)
        return fn

    return decorate


def command(name: str, *, args: tuple[Arg, ...] | list[Arg] = (), fr: tuple[str, ...] | list[str] = (),
            en: tuple[str, ...] | list[str] = (), help: str = "", section: str = N_("General"),
            role: Role | None = EVERYONE, referent_of: str | None = None, group: bool = True, reads: bool = False):
    """Declare a command where its code is. `fr`/`en` are aliases, the first French one is its French name; `reads`:
    it changes nothing (a link to it opens what it shows)."""

    def decorate(fn):
        fn.__relais_command__ = Command(
            name=name, handler=fn, args=tuple(args), aliases={"fr": tuple(fr), "en": tuple(en)},
            help=help or (fn.__doc__ or "").strip(), section=section, role=role, referent_of=referent_of, group=group,
            reads=reads,
        )
        return fn

    return decorate


class Registry:
    """Every declared command, indexed by every name and alias (one or two words, folded)."""

    def __init__(self, modules: list[ModuleType]):
        self.commands: list[Command] = []
        self.answers: dict[str, Answer] = {}
        self._index: dict[str, Command] = {}
        for module in modules:
            for value in vars(module).values():
                if getattr(value, "__module__", None) != module.__name__:
                    continue
                cmd = getattr(value, "__relais_command__", None)
                if isinstance(cmd, Command):
                    self.add(cmd)
                answer = getattr(value, "__relais_answer__", None)
                if isinstance(answer, Answer):
                    if answer.name in self.answers:
                        raise ValueError(f"answer handler {answer.name!r} declared twice")
                    self.answers[answer.name] = answer

    def add(self, cmd: Command) -> None:
        self.commands.append(cmd)
        for alias in (cmd.name, *cmd.aliases.get("fr", ()), *cmd.aliases.get("en", ())):
            key = fold(alias)
            if key in self._index and self._index[key] is not cmd:
                raise ValueError(f"command name {alias!r} declared twice")
            self._index[key] = cmd

    def resolve(self, words: list[str]) -> tuple[Command | None, int]:
        """The command named by the first one to four words (`je ne viens pas`, `adhésion sur validation`), the longest
        name first, and how many words it took."""
        folded = [fold(w) for w in words[:4]]
        for count in range(len(folded), 0, -1):
            cmd = self._index.get(" ".join(folded[:count]))
            if cmd:
                return cmd, count
        return None, 0

    def names(self) -> list[str]:
        return list(self._index)

    def get(self, name: str) -> Command | None:
        return self._index.get(fold(name))
