"""A rendered reply as the platform calls that show it: planned once, stored before the first call, then performed
one at a time by the same code for an answer (the pipeline, progress on the inbox event) and for a notification
(delivery, progress on the outbox row), so a restart carries on after the last call made and repeats none."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterator, NotRequired, Required, TypedDict

from bot.core.choices import ChoiceMemory


class Offer(TypedDict):
    """The choices a number (or a keycap on the message the call creates) answers from now on, in a conversation."""

    where: str
    set: int | None


class Step(TypedDict, total=False):
    """One platform call, as JSON (stored): `op` names it for the adapter, which reads its own other keys (chat, text,
    markup, file…); the core reads only these."""

    op: Required[str]
    offer: NotRequired[Offer]  # read by the core once the call has made its message
    notice: NotRequired[bool]  # set by delivery: a notification's call, whose refusals raise Unreachable or
    # TemporaryFailure (try the next account, or later) instead of being logged and skipped as an answer's are
    again: NotRequired[bool]  # set by `perform` on the first call of a plan taken up again: a run that stopped (or
    # failed) before recording it may have made it; an adapter that can tell (Matrix looks for the event) skips it


@dataclass
class Plan:
    """What `Adapter.render` returns: the calls in order (texts, polls, files, pictures, edits, button answers)."""

    steps: list[Any] = field(default_factory=list)  # Step dicts; Any so an adapter adds the keys of its own calls

    def __iter__(self) -> Iterator[Any]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __add__(self, other: Plan | list) -> Plan:
        return Plan(self.steps + list(other))

    def __radd__(self, other: list) -> Plan:
        return Plan(list(other) + self.steps)


async def perform(call: Callable[[Any], Awaitable[str | None]], steps: list[Any], first: int, choices: ChoiceMemory | None,
                  done: Callable[[int, str | None], Awaitable[None]], again: bool = False) -> list[str | None]:
    """Make the calls from `first` on; after each, the choices it offers are recorded and `done(next index, its
    message)` stores the progress. Returns the messages made (None for a call that made none). `again`: the plan is
    taken up after a stop or a failure, so its first call may have been made (the step says so to the adapter)."""
    refs: list[str | None] = []
    for index in range(first, len(steps)):
        step = steps[index]
        if again and index == first:
            step = {**step, "again": True}  # the stored step is left as it was
        ref = await call(step)
        offer = step.get("offer")
        if offer is not None and choices is not None:  # a number (or a keycap on this message) answers them now
            await choices.offer_set(offer["where"], offer.get("set"), ref)
        refs.append(ref)
        await done(index + 1, ref)
    return refs
