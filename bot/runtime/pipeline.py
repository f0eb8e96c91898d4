"""Runs one stored event through an adapter and the core: translate, dispatch, render, then perform the calls.

The calls are planned once and stored with the event before the first is made; a retry or a restart carries
on with the calls left, so the command behind an event runs once and its answer is sent once.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from bot.core.choices import ChoiceMemory
from bot.core.incoming import Incoming
from bot.core.plan import perform
from bot.core.render import for_platform
from bot.core.replies import Reply
from bot.core.topics import Topics
from bot.runtime.adapter import Adapter
from bot.runtime.inbox import Event, Store

Dispatch = Callable[[Incoming], Awaitable[Reply | None]]


class Pipeline:
    """The inbox handler of a chat platform's events."""

    def __init__(self, adapter: Adapter, dispatch: Dispatch, store: Store, choices: ChoiceMemory, topics: Topics | None = None):
        self.adapter = adapter
        self.dispatch = dispatch
        self.store = store
        self.choices = choices
        self.topics = topics

    async def __call__(self, event: Event) -> str:
        state = event.state
        again = "actions" in state  # planned by an earlier try: its next call may have been made before it stopped
        if not again:
            turn = await self.adapter.translate(event)
            if turn is None:
                return "ignored"
            reply = await self._run(event, turn)
            if reply is not None and reply.sensitive:  # the stores reduce the event to this once it is done
                event.state["sensitive"] = reply.sensitive
            sensitive = event.state.get("sensitive")
            actions = list(turn.before)
            if reply is not None:
                actions += (await self.adapter.render(for_platform(reply, self.adapter.native), turn.where)).steps
            outcome = turn.where.pop("outcome", None) or turn.outcome  # the renderer may say what became of it
            if not actions:
                return outcome or "silent"
            event.attempts = max(event.attempts, 1)
            state = event.state = {"actions": actions, "next": 0, "outcome": outcome}
            if sensitive:
                state["sensitive"] = sensitive
            if reply is not None and reply.about:  # a reply to these messages comments on what they speak of
                state["about"] = [list(item) for item in reply.about]
            await self.store.save(event)  # before the first call: a restart sends what is left, runs nothing twice
        actions = state["actions"]
        about = tuple((str(k), int(i), int(p)) for k, i, p in state.get("about", ()))

        async def done(following: int, ref: str | None) -> None:
            if ref and about and self.topics is not None:
                await self.topics.sent(self.adapter.platform, [ref], about)
            if following < len(actions):
                state["next"] = following
                await self.store.save(event)

        await perform(self.adapter.perform, actions, state["next"], self.choices, done, again)
        return state.get("outcome") or "answered"

    async def _run(self, event: Event, turn) -> Reply | None:
        """The core's answer: one command, or each command of a batch in order (each result stored as it comes,
        so a retry skips the commands already run) combined into one reply by the adapter."""
        if turn.incoming is None:
            return None
        if not isinstance(turn.incoming, list):
            return await self.dispatch(turn.incoming)
        results = [(line, Reply.from_dict(data)) for line, data in event.state.get("results", [])]
        for incoming in turn.incoming[len(results):]:
            reply = await self.dispatch(incoming) or Reply()
            if reply.sensitive:  # its line is kept (and shown) as the reply says, the event reduced once done
                event.state["sensitive"] = reply.sensitive
            results.append((reply.sensitive or incoming.text, reply))
            event.state = {**event.state, "results": [[line, reply.to_dict()] for line, reply in results]}
            await self.store.save(event)
        combine = getattr(self.adapter, "combine", None)
        if combine is None:
            raise TypeError(f"{type(self.adapter).__name__} made a batch of commands but has no combine()")
        return await combine(results, turn.where)
