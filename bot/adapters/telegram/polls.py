"""Pure planning of the sends of a reply, native Telegram polls included: which Poll elements a group sees as a
real poll, and the line an answer stands for (the rows that map answers back are in `poll_rows`).

A public single or multiple-choice poll shown in a group becomes a non-anonymous sendPoll, so Telegram tells
Relais who answered what (`poll_answer`); the answer comes back as the poll's vote command line from that person.
Everything else (secret and ranked polls, private chats, too many or too long options) keeps the text fallback
and its buttons."""

from __future__ import annotations

import base64

from bot.adapters.telegram.render import WEB, keyboard_of, length, render
from bot.core.replies import Attachment, Choice, LinkButton, Picture, Poll, Reply

MAX_OPTIONS = 10  # Telegram's limit for years (it takes 12 now): every client shows them
OPTION_LIMIT = 100  # characters of an option
QUESTION_LIMIT = 300  # characters of the question


def vote_prefix(poll: Poll) -> str:
    return poll.vote + " "


def native(poll: Poll, reply: Reply, group: bool) -> bool:
    """Whether a poll is sent as a Telegram poll: a public, open, single or multiple-choice poll in a group, within
    Telegram's limits, that Relais can map back (a numeric ref, a vote command) and that the reply offers to vote in
    (a view of the results offers no vote: it is no new poll)."""
    # Telegram shows a poll's counts to whoever answered: a poll hidden until its close stays a text ballot.
    return (group and poll.mode in ("single", "multiple") and not poll.anonymous and not poll.closed and not poll.hidden
            and bool(poll.vote) and poll.ref.isdigit()
            and 2 <= len(poll.options) <= MAX_OPTIONS
            and all(o.strip() and length(o) <= OPTION_LIMIT for o in poll.options)
            and bool(poll.question.strip()) and length(poll.question) <= QUESTION_LIMIT
            and any(c.command.startswith(vote_prefix(poll)) for c in reply.choices))


def split(reply: Reply, group: bool) -> tuple[Reply, list[Poll]]:
    """The reply left to show as text (the native polls and their vote choices taken out), and the native polls."""
    polls = [p for p in reply.elements(Poll) if native(p, reply, group)]
    if not polls:
        return reply, []
    prefixes = tuple(vote_prefix(p) for p in polls)
    blocks = [b for b in reply.blocks if not (isinstance(b, Poll) and b in polls)]
    choices = [c for c in reply.choices if not c.command.startswith(prefixes)]
    return Reply(blocks=blocks, choices=choices, error=reply.error), polls


def action(poll: Poll, chat: int, thread: int | None, reply_to: int | None, markup: dict | None) -> dict:
    """The planned sendPoll (JSON stored with the event); `ref` and `vote` are kept for the NativePoll row."""
    return {"op": "poll", "chat": chat, "thread": thread, "reply_to": reply_to, "question": poll.question,
            "options": list(poll.options), "multiple": poll.mode == "multiple", "markup": markup,
            "ref": poll.ref, "vote": poll.vote}


def answer_line(vote: str, option_ids: list[int]) -> str:
    """The command line a poll answer stands for: `<vote> 2 3` (numbers from 1), `<vote> clear` when taken back."""
    numbers = " ".join(str(i + 1) for i in sorted(option_ids))
    return f"{vote} {numbers or 'clear'}"


def choices(reply: Reply, group: bool) -> list[Choice]:
    """The choices shown as buttons (those of native polls are the polls themselves): the set to store."""
    return split(reply, group)[0].choices


def plan(reply: Reply, chat: int, *, username: str = "", group: bool = False, keyboard: int | None = None,
         reply_to: int | None = None, thread: int | None = None) -> list[dict]:
    """The sends that show a reply in a chat: its messages (the keyboard on the last), then its files; with native
    polls, the text first and the polls after it, the last poll carrying the keyboard. `keyboard` is the stored set
    of `choices(reply, group)`."""
    text, polls = split(reply, group)
    if polls:
        blocks = [b for b in text.blocks if not (isinstance(b, LinkButton) and WEB.match(b.url))]
        shown = text.error or any(not isinstance(b, (Attachment, Picture)) for b in blocks)
        parts = render(Reply(blocks=blocks, error=text.error), username=username, group=group) if shown else []
    else:
        parts = render(text, username=username, group=group, keyboard=keyboard)
    actions = [{"op": "send", "chat": chat, "text": part.html, "markup": part.markup, "thread": thread,
                "reply_to": reply_to if group and n == 0 else None} for n, part in enumerate(parts)]
    for n, poll in enumerate(polls):
        last = n == len(polls) - 1
        actions.append(action(poll, chat, thread, reply_to if group and not actions else None,
                              keyboard_of(text, username=username, keyboard=keyboard) if last else None))
    for item in reply.elements(Attachment):
        photo = item.mime in ("image/png", "image/jpeg")  # a chart shows as a picture, not a file to open
        actions.append({"op": "photo" if photo else "document", "chat": chat, "thread": thread, "filename": item.filename, "mime": item.mime,
                        "data": base64.b64encode(item.data).decode("ascii"), "caption": item.caption})
    for picture in reply.elements(Picture):  # by its hash: the bytes (or Telegram's file_id) are looked up when sent
        actions.append({"op": "photo", "chat": chat, "thread": thread, "file": picture.sha256, "filename": picture.filename,
                        "caption": picture.caption})
    return actions
