"""The platform-neutral reply: text blocks with emphasis and links, lists, and choices."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Style = Literal["", "bold", "italic", "code"]


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = ""
    url: str | None = None


def bold(text: str) -> Span:
    return Span(str(text), "bold")


def italic(text: str) -> Span:
    return Span(str(text), "italic")


def code(text: str) -> Span:
    return Span(str(text), "code")


def link(text: str, url: str) -> Span:
    return Span(str(text), "", url)


def _spans(parts: tuple) -> list[Span]:
    return [p if isinstance(p, Span) else Span(str(p)) for p in parts if p != ""]


@dataclass
class Block:
    """A paragraph (`items` empty) or a bulleted list (each item a list of spans), with an optional title."""

    spans: list[Span] = field(default_factory=list)
    items: list[list[Span]] = field(default_factory=list)
    title: str = ""


@dataclass(frozen=True)
class Choice:
    """An answer the person can pick; `command` is the command line it stands for."""

    label: str
    command: str


@dataclass
class Reply:
    blocks: list[Block] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    error: bool = False

    def para(self, *parts) -> "Reply":
        self.blocks.append(Block(spans=_spans(parts)))
        return self

    def items(self, rows: list, title: str = "") -> "Reply":
        rows = [_spans(r if isinstance(r, tuple) else (r,)) for r in rows]
        self.blocks.append(Block(items=rows, title=title))
        return self

    def choice(self, label: str, command: str) -> "Reply":
        self.choices.append(Choice(label, command))
        return self

    def extend(self, other: "Reply") -> "Reply":
        self.blocks.extend(other.blocks)
        self.choices.extend(other.choices)
        self.error = self.error or other.error
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Reply":
        def spans(raw):
            return [Span(**s) for s in raw]

        blocks = [Block(spans=spans(b["spans"]), items=[spans(i) for i in b["items"]], title=b.get("title", ""))
                  for b in data.get("blocks", [])]
        return cls(blocks=blocks, choices=[Choice(**c) for c in data.get("choices", [])], error=data.get("error", False))

    def plain(self) -> str:
        from bot.core.render import to_text

        return to_text(self)
