"""Pure MSC3381 polls: which Poll elements Matrix shows natively, the content of the start and end events, and
the answers read back from a response.

The shape. Element Web (matrix-js-sdk's `PollStartEvent`) and Element X (matrix-rust-sdk's timeline, ruma's
`UnstablePollStartEventContent`) both display events of type `org.matrix.msc3381.poll.start` read from the
unstable `org.matrix.msc3381.poll.start` block (question and answers as `org.matrix.msc1767.text` strings, answers
with an `id`); neither displays an `m.poll.start` event of MSC3381's final form (Element X has no such tile), so
that is the type sent. Beside it the content carries:
- `m.poll`, the final form's block (`m.id`, `m.text` arrays): read by nobody today, ignored by both Elements,
  ready for clients that move to the final form;
- `body`/`formatted_body`/`msgtype`, as the mautrix bridges do, for clients and bridges without polls;
but NOT the final form's top-level `m.text` array: matrix-js-sdk looks for `m.text` before
`org.matrix.msc1767.text` and wants a string there, so an array would make Element Web reject an end event
(`PollEndEvent` reads its closing text that way). Responses come in either form (`m.selections`, or an
`answers` list inside `org.matrix.msc3381.poll.response` / the older `m.poll.response`).
"""

from __future__ import annotations

from dataclasses import replace

from bot.adapters.matrix.render import HTML_FORMAT, relation
from bot.core.render import block_html, block_text, fallback
from bot.core.replies import Attachment, Picture, Poll, Reply

POLL_START = "org.matrix.msc3381.poll.start"
POLL_END = "org.matrix.msc3381.poll.end"
RESPONSE_TYPES = ("m.poll.response", "org.matrix.msc3381.poll.response", "org.matrix.msc3381.v2.poll.response")
TEXT = "org.matrix.msc1767.text"
DISCLOSED = "org.matrix.msc3381.poll.disclosed"
UNDISCLOSED = "org.matrix.msc3381.poll.undisclosed"  # the counts shown only once the poll has ended
NATIVE_MODES = ("single", "multiple")  # ranked and date polls have no native form: ballots by command
MIN_ANSWERS, MAX_ANSWERS = 2, 20  # MSC3381 truncates answers past 20


def shown_natively(poll: Poll) -> bool:
    """An open, disclosed single or multiple choice poll Relais tracks (its ref is a database id). Never one hidden until
    its close: an "undisclosed" poll's responses are room events every member's client can read and count, so such a
    poll is answered by private ballots (as on Telegram, where it is no native poll either)."""
    return (poll.mode in NATIVE_MODES and not poll.anonymous and not poll.hidden and not poll.closed and bool(poll.vote)
            and poll.ref.isdigit() and MIN_ANSWERS <= len(poll.options) <= MAX_ANSWERS)


def split(reply: Reply, direct: bool) -> tuple[Reply, list[Poll]]:
    """The reply without the polls shown natively nor the choices that vote in them, and those polls. In a direct
    chat nothing is native: a poll there is a secret or ranked ballot, answered by its choices."""
    polls = [] if direct else [b for b in reply.blocks if isinstance(b, Poll) and shown_natively(b)]
    if not polls:
        return reply, []
    native = {id(p) for p in polls}
    votes = tuple(p.vote + " " for p in polls)
    rest = Reply(blocks=[b for b in reply.blocks if id(b) not in native],
                 choices=[c for c in reply.choices if not c.command.startswith(votes)], error=reply.error)
    return rest, polls


def closed_polls(reply: Reply) -> list[Poll]:
    """The polls this reply reports closed: their native polls are ended wherever they were posted."""
    return [b for b in reply.blocks if isinstance(b, Poll) and b.closed and b.ref.isdigit()]


def has_text(reply: Reply) -> bool:
    """Whether anything is left to say in a notice once the native polls and the files are taken out."""
    return bool(reply.error or reply.choices or any(not isinstance(b, (Attachment, Picture)) for b in reply.blocks))


def poll_text(poll: Poll) -> str:
    """The poll as text: the question, the options numbered (with their counts once closed), the hint."""
    return "\n\n".join(block_text(b) for b in fallback(poll))


def poll_html(poll: Poll) -> str:
    return "".join(block_html(b) for b in fallback(poll))


def max_selections(poll: Poll) -> int:
    return 1 if poll.mode == "single" else len(poll.options)


def start_content(poll: Poll, thread_root: str | None = None) -> dict:
    """The content of the `org.matrix.msc3381.poll.start` event; answer ids are the option numbers "1".."n"."""
    text = poll_text(poll)
    ids = [str(n) for n in range(1, len(poll.options) + 1)]
    content: dict = {
        POLL_START: {
            "question": {TEXT: poll.question},
            "kind": UNDISCLOSED if poll.hidden else DISCLOSED,
            "max_selections": max_selections(poll),
            "answers": [{"id": i, TEXT: label} for i, label in zip(ids, poll.options)],
        },
        TEXT: text,
        "m.poll": {
            "kind": "m.undisclosed" if poll.hidden else "m.disclosed",
            "max_selections": max_selections(poll),
            "question": {"m.text": [{"body": poll.question}]},
            "answers": [{"m.id": i, "m.text": [{"body": label}]} for i, label in zip(ids, poll.options)],
        },
        "msgtype": "m.notice",
        "body": text,
        "format": HTML_FORMAT,
        "formatted_body": poll_html(poll),
        "m.mentions": {},
    }
    rel = relation(None, thread_root)  # in the thread the command came from
    if rel:
        content["m.relates_to"] = rel
    return content


def end_content(poll: Poll, start_event_id: str) -> dict:
    """The `org.matrix.msc3381.poll.end` event closing the poll started by `start_event_id`: its text fallback is
    the results (the options with their counts, when they may be shown), without the hint on how to vote."""
    poll = replace(poll, hint="")
    text = poll_text(poll)
    content: dict = {
        "m.relates_to": {"rel_type": "m.reference", "event_id": start_event_id},
        POLL_END: {},
        TEXT: text,
        "msgtype": "m.notice",
        "body": text,
        "format": HTML_FORMAT,
        "formatted_body": poll_html(poll),
        "m.mentions": {},
    }
    if poll.counts and len(poll.counts) == len(poll.options):
        content["m.poll.results"] = {str(n): c for n, c in enumerate(poll.counts, 1)}
    return content


def response_answers(content: dict) -> list[str]:
    """The answer ids of a response, in order; an empty list unvotes. Per MSC3381 a response without a valid
    selection list is spoiled, which counts as no selection."""
    answers = None
    for key in ("m.selections", "org.matrix.msc3381.v2.selections"):
        if isinstance(content.get(key), list):
            answers = content[key]
            break
    else:
        for key in ("org.matrix.msc3381.poll.response", "m.poll.response"):
            block = content.get(key)
            if isinstance(block, dict) and isinstance(block.get("answers"), list):
                answers = block["answers"]
                break
    if not answers or not all(isinstance(a, str) for a in answers):
        return []
    return answers


def ballot(answers: list[str], options: int, max_selections: int | None = None) -> list[str]:
    """The option numbers a response picks: duplicates dropped, cut at `max_selections`; any unknown id spoils
    the whole response (MSC3381), which is read as no selection."""
    if any(a not in {str(n) for n in range(1, options + 1)} for a in answers):
        return []
    picked = list(dict.fromkeys(answers))
    return picked[:max_selections] if max_selections else picked
