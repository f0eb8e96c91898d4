"""The platform-neutral reply: text blocks, typed elements (poll, progress, link, file, picture, question) and choices."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar, Literal, Union

Style = Literal["", "bold", "italic", "code"]


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = ""
    url: str | None = None


def bold(text: object) -> Span:
    return Span(str(text), "bold")


def italic(text: object) -> Span:
    return Span(str(text), "italic")


def code(text: object) -> Span:
    return Span(str(text), "code")


def link(text: object, url: str) -> Span:
    return Span(str(text), "", url)


def _spans(parts: tuple) -> list[Span]:
    return [p if isinstance(p, Span) else Span(str(p)) for p in parts if p != ""]


@dataclass
class Block:
    """A paragraph (`items` empty) or a bulleted list (each item a list of spans), with an optional title."""

    kind: ClassVar[str] = "block"
    spans: list[Span] = field(default_factory=list)
    items: list[list[Span]] = field(default_factory=list)
    title: str = ""


@dataclass(frozen=True)
class LinkButton:
    """A button that opens a web page (a pledge page, a public page)."""

    kind: ClassVar[str] = "link"
    label: str
    url: str


@dataclass(frozen=True)
class Attachment:
    """A file sent with the reply: an `.ics` invitation, a `.csv` sheet, a `.png` chart."""

    kind: ClassVar[str] = "file"
    filename: str
    mime: str
    data: bytes
    caption: str = ""
    url: str = ""  # the file on the web (a picture shown small links to its full size)


@dataclass(frozen=True)
class Picture:
    """An image kept in the file store (a news item's photo), named by its content hash: the adapters that show images
    send it (each platform's upload id reused), the others give its name and `url`, the full size on the web."""

    kind: ClassVar[str] = "picture"
    sha256: str
    mime: str
    filename: str
    thumb: str = ""  # the hash of its thumbnail (a JPEG)
    caption: str = ""
    url: str = ""


@dataclass(frozen=True)
class Progress:
    """Progress toward a goal (a campaign): `caption` is the localized rest of the line ("26 days left")."""

    kind: ClassVar[str] = "progress"
    value: float
    goal: float
    unit: str = ""
    caption: str = ""
    locale: str = "fr"

    @property
    def ratio(self) -> float:
        return 0.0 if self.goal <= 0 else max(0.0, self.value / self.goal)


PollKind = Literal["single", "multiple", "ranked", "date"]


@dataclass(frozen=True)
class Poll:
    """A question with options; `vote` is the command prefix a ballot is cast with (`vote usine-vivante#3`): an
    adapter with native polls turns an answer into `<vote> <numbers>` from that person. `hint` says how to vote
    in the reader's language for the text fallback. A closed poll (`closed`, with `counts` per option when they
    may be shown) is the signal to stop the native poll wherever it was posted."""

    kind: ClassVar[str] = "poll"
    question: str
    options: tuple[str, ...]
    mode: PollKind = "single"
    closes_at: datetime | None = None
    anonymous: bool = False
    vote: str = ""
    hint: str = ""
    ref: str = ""  # the poll's id in Relais (its database id), for adapters that track native polls
    closed: bool = False
    counts: tuple[int, ...] = ()
    hidden: bool = False  # the counts are shown only at the close (a native poll that shows them live cannot be used)


@dataclass(frozen=True)
class Question:
    """A question awaiting the person's next message as its answer; `handler` names the registered answer handler,
    `data` is what it needs to resume; the prompt itself is shown as text."""

    kind: ClassVar[str] = "question"
    prompt: str
    handler: str
    data: dict = field(default_factory=dict, hash=False, compare=False)
    hint: str = ""  # "Answer in your next message, or type cancel."
    days: float = 7.0
    # How to answer where a reply to the message answers it (the platforms that thread replies, as for `About`): "Reply to
    # this message…"; empty: `hint` everywhere.
    reply_hint: str = ""


@dataclass(frozen=True)
class Table:
    """Rows of cells under a header (a date poll's grid, a ranked poll's rounds): a table in mail and on pages, aligned
    monospace lines elsewhere. The first column names the rows."""

    kind: ClassVar[str] = "table"
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""


Topic = tuple[str, int, int]  # (kind, id, project id) of something Relais speaks of: ("news", 12, 3)


@dataclass(frozen=True)
class About:
    """What the reply speaks of, numbered from 1: a reply to its message (where the platform threads replies) or
    `/reply [n] <text>` comments on item n. `hint` says how to answer on a platform that threads replies, `command`
    how to answer elsewhere (with /reply); either may be empty (nothing shown)."""

    kind: ClassVar[str] = "about"
    items: tuple[Topic, ...]
    hint: str = ""
    command: str = ""
    numbered: bool = True  # `/reply [n]` in this conversation answers them (False: the command hint says another way)


Element = Union[Block, LinkButton, Attachment, Picture, Progress, Poll, Question, About, Table]
ELEMENTS: dict[str, type] = {cls.kind: cls for cls in (Block, LinkButton, Attachment, Picture, Progress, Poll, Question, About, Table)}


@dataclass(frozen=True)
class Choice:
    """An answer the person can pick; `command` is the command line it stands for."""

    label: str
    command: str


@dataclass
class Reply:
    """What the core answers: elements in reading order, then choices (each a command line)."""

    blocks: list[Any] = field(default_factory=list)  # Element instances, in reading order
    choices: list[Choice] = field(default_factory=list)
    error: bool = False
    # The command asked for something no stored trace may keep (a secret ballot): what stays of it instead, e.g.
    # "vote usine-vivante#3". The pipeline reduces the stored event (or mail) to this once handled, and a mail's summary
    # shows it in place of the command line.
    sensitive: str = ""

    def para(self, *parts) -> Reply:
        self.blocks.append(Block(spans=_spans(parts)))
        return self

    def items(self, rows: list, title: str = "") -> Reply:
        self.blocks.append(Block(items=[_spans(r if isinstance(r, tuple) else (r,)) for r in rows], title=title))
        return self

    def add(self, element: Element) -> Reply:
        self.blocks.append(element)
        return self

    def choice(self, label: str, command: str) -> Reply:
        self.choices.append(Choice(label, command))
        return self

    def extend(self, other: Reply) -> Reply:
        self.blocks.extend(other.blocks)
        self.choices.extend(other.choices)
        self.error = self.error or other.error
        return self

    @property
    def question(self) -> Question | None:
        return next((b for b in self.blocks if isinstance(b, Question)), None)

    @property
    def about(self) -> tuple[Topic, ...]:
        """The items the reply speaks of, in order (every About element's)."""
        return tuple(item for b in self.blocks if isinstance(b, About) for item in b.items)

    @property
    def numbered(self) -> tuple[Topic, ...]:
        """The items `/reply [n]` answers after this reply (those of About elements that say so)."""
        return tuple(item for b in self.blocks if isinstance(b, About) and b.numbered for item in b.items)

    def elements(self, kind: type) -> list:
        return [b for b in self.blocks if isinstance(b, kind)]

    def to_dict(self) -> dict:
        out = {"blocks": [_dump(b) for b in self.blocks], "choices": [[c.label, c.command] for c in self.choices],
               "error": self.error}
        if self.sensitive:
            out["sensitive"] = self.sensitive
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Reply:
        choices = [Choice(*c) if isinstance(c, (list, tuple)) else Choice(**c) for c in data.get("choices", [])]
        return cls(blocks=[_load(b) for b in data.get("blocks", [])], choices=choices, error=data.get("error", False),
                   sensitive=data.get("sensitive", ""))


def _spans_of(raw: list) -> list[Span]:
    return [Span(**s) if isinstance(s, dict) else Span(*s) for s in raw]


def _dump(element: Any) -> dict:
    if isinstance(element, Block):
        out: dict = {"spans": [_span_dump(s) for s in element.spans]}
        if element.items:
            out["items"] = [[_span_dump(s) for s in item] for item in element.items]
        if element.title:
            out["title"] = element.title
        return out
    out = {"type": element.kind}
    for f in fields(element):
        value = getattr(element, f.name)
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _span_dump(span: Span) -> list:
    if span.url:
        return [span.text, span.style, span.url]
    return [span.text, span.style] if span.style else [span.text]


def _load(raw: dict) -> Any:
    kind = raw.get("type", "block")
    if kind == "block":
        return Block(spans=_spans_of(raw.get("spans", [])), items=[_spans_of(i) for i in raw.get("items", [])],
                     title=raw.get("title", ""))
    cls = ELEMENTS[kind]
    values = {k: v for k, v in raw.items() if k != "type"}
    if cls is Attachment:
        values["data"] = base64.b64decode(values["data"])
    if cls is About:
        values["items"] = tuple((str(k), int(i), int(p)) for k, i, p in values.get("items", ()))
    if cls is Table:
        values["header"] = tuple(str(h) for h in values.get("header", ()))
        values["rows"] = tuple(tuple(str(c) for c in row) for row in values.get("rows", ()))
    if cls is Poll:
        values["options"] = tuple(values.get("options", ()))
        values["counts"] = tuple(values.get("counts", ()))
        if values.get("closes_at"):
            values["closes_at"] = datetime.fromisoformat(values["closes_at"])
    return cls(**values)
