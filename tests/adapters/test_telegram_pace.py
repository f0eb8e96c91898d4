"""The bot's overall Telegram rate is one budget for every process of a PostgreSQL database (Telegram counts the
token): two senders sharing the database keep the one rate between them; on SQLite a sender paces itself alone."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.telegram.transport import Sender, SharedPace

RATE = 40.0


class Recorder:
    """A bot that answers every call at once and notes when each came."""

    def __init__(self, times: list[float]):
        self.times = times

    async def __call__(self, method) -> bool:
        self.times.append(asyncio.get_running_loop().time())
        return True


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


@pytest.mark.parametrize("any_app", ["postgres"], indirect=True)
async def test_two_senders_on_one_postgresql_database_share_the_bots_rate(any_app):
    times: list[float] = []
    first, second = Sender(Recorder(times), global_rate=RATE), Sender(Recorder(times), global_rate=RATE)
    sends = [sender.call(object(), chat_id=1000 + n) for n in range(60) for sender in (first, second)]
    await asyncio.gather(*sends)
    assert len(times) == 120
    assert busiest_second(times) <= RATE, "both senders together stay within the one rate"
    assert first.counts["send"] == second.counts["send"] == 60


async def test_on_sqlite_a_sender_paces_itself_alone(app):
    pace = SharedPace(RATE)
    await pace.acquire()
    assert pace._shared is False
