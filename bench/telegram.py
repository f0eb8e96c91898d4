"""Telegram on the Bot API emulator: updates/s through Relais against a bare aiogram echo bot, then a broadcast.

(1) 50 users × 10 messages (projects, project, follow, unfollow, following), queued, then handled: Relais (stored,
dispatched by the core, answered in HTML with keyboards) against an aiogram Dispatcher that echoes each text;
both unthrottled, on the same emulator. (2) 10,000 private notifications (10 news × 1,000 followers) under an
emulated overall limit (Telegram's 30/s scaled up with --rate to keep the run short), with 429s injected.
Run: .venv/bin/python bench/telegram.py [--users 50] [--messages 20] [--rounds 5] [--followers 1000] [--news 10] [--rate 100]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot, Dispatcher  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.types import Message  # noqa: E402

from bot import logs  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.incoming import Incoming  # noqa: E402
from bot.core.render import to_text  # noqa: E402
from bot.services import demo  # noqa: E402
from models import Account, Follow, OutboxMessage, OutboxStatus, Project  # noqa: E402
from tests.peers.telegram_client import TelegramEmulator  # noqa: E402
from tests.peers.telegram_fixture import start_emulator, stop_emulator  # noqa: E402

RELAIS, ECHO, BROADCAST = "111:RELAIS", "222:ECHO", "333:BROADCAST"
SLUGS = ["dombes-brasserie", "conciergerie-rurale", "ressourcerie-creative", "creche-interentreprises"]


def line(n: int) -> str:
    slug = SLUGS[n % len(SLUGS)]
    return ["/projects", f"/project {slug}", f"/follow {slug}", f"/unfollow {slug}", "/following"][n % 5]


def settings(tmp: Path, token: str, base_url: str, delivery_batch: int = 100, **telegram) -> Settings:
    return Settings(data_dir=tmp, database_url=f"sqlite://{tmp / 'bench.sqlite3'}", delivery_batch=delivery_batch,
                    sections={"telegram": {"token": token, "api_url": base_url, **telegram},
                              "mail": {"listen": ""}, "web": {"web_listen": ""}})


async def wait_sent(emu: TelegramEmulator, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (await emu.stats())["sent_messages"] < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {(await emu.stats())['sent_messages']} of {count} messages sent within {timeout}s")
        await asyncio.sleep(0.1)


def rate(records: list[dict]) -> float:
    times = sorted(r["sent_at"] for r in records)
    return (len(times) - 1) / (times[-1] - times[0])


async def serve(app: App) -> tuple[asyncio.Event, asyncio.Task]:
    stop = asyncio.Event()
    task = asyncio.create_task(app.serve(stop))
    telegram = app.adapter("telegram")
    await telegram.wait_ready(10)
    return stop, task


async def relais_updates(base_url: str, users: list[dict], messages: int, token: str = RELAIS) -> float:
    emu = TelegramEmulator(base_url, token)
    tmp = Path(tempfile.mkdtemp())
    unthrottled = {"chat_rate": 1e6, "global_rate": 1e6}
    app = App(settings(tmp, token, base_url, **unthrottled))
    await app.start()
    await demo.seed("me", app.clock())
    stop, task = await serve(app)
    for user in users:  # first contact (accounts created) is not part of the measure
        await emu.start(user)
    await wait_sent(emu, len(users), 60)
    stop.set()
    await task
    await app.stop()
    for n in range(messages):  # queued while Relais is down, handled as one backlog
        for user in users:
            await emu.send(user, line(n))
    app = App(settings(tmp, token, base_url, **unthrottled))
    await app.start()
    stop, task = await serve(app)
    await wait_sent(emu, len(users) * (messages + 1), 120)
    stop.set()
    await task
    await app.stop()
    records = (await emu.sent())[len(users):]
    await emu.close()
    return rate(records)


def default_gc() -> None:
    """The echo bot runs as a bare aiogram bot would: Python's default collector (Relais' service tunes its own)."""
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    gc.collect()


async def echo_updates(base_url: str, users: list[dict], messages: int, token: str = ECHO) -> float:
    default_gc()
    emu = TelegramEmulator(base_url, token)
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
    for user in users:
        await emu.start(user)
    updates = await bot.get_updates()
    await bot.get_updates(offset=updates[-1].update_id + 1)
    for n in range(messages):
        for user in users:
            await emu.send(user, line(n))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text)

    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1))
    await wait_sent(emu, len(users) * messages, 120)
    await dispatcher.stop_polling()
    await polling
    await bot.session.close()
    records = await emu.sent()
    await emu.close()
    return rate(records)


async def broadcast(base_url: str, followers: int, news: int, limit: int, faults: int) -> dict:
    emu = TelegramEmulator(base_url, BROADCAST)
    await emu.set_limits(enabled=False)
    tmp = Path(tempfile.mkdtemp())
    # An outbox claim holds 10 s of sending (the default, 100, is 3 s at 30/s): fewer pauses between claims.
    app = App(settings(tmp, BROADCAST, base_url, delivery_batch=10 * limit, global_rate=float(limit)))
    await app.start()
    await demo.seed("me", app.clock())
    stop, task = await serve(app)
    for n in range(followers):
        await emu.start(await emu.create_user(first_name=f"F{n}", language_code="fr"))
    await wait_sent(emu, followers, 120)  # Relais answered every Start: the accounts exist
    project = await Project.get(slug="dombes-brasserie")
    accounts = await Account.filter(platform="telegram")
    await Follow.bulk_create([Follow(person_id=a.person_id, project_id=project.id) for a in accounts])
    await emu.set_limits(enabled=True, global_rate=limit, chat_rate=1, chat_burst=3)

    async def inject() -> None:  # one 429 now and then, like Telegram under load
        for _ in range(faults):
            await asyncio.sleep(3)
            await emu.inject_429("sendMessage", count=1, retry_after=1)

    injector = asyncio.create_task(inject())
    for n in range(news):
        reply = await app.dispatcher.handle(Incoming(platform="console", address="me", text=f"/news dombes-brasserie Bench news {n}"))
        assert reply is not None and not reply.error, to_text(reply)
    total = followers * news
    await wait_sent(emu, followers + total, total / limit * 3 + 60)
    injector.cancel()
    stop.set()
    await task
    records = [r for r in await emu.sent() if "Bench news" in r["text"]]
    unsent = await OutboxMessage.filter(status__not=OutboxStatus.SENT).count()
    await app.stop()
    stats = await emu.stats()
    await emu.close()
    distinct = {(r["chat_id"], r["text"].split("Bench news ")[1][:3]) for r in records}
    return {"rate": rate(records), "lost": total - len(distinct), "duplicates": len(records) - len(distinct),
            "unsent": unsent, "429": stats["too_many_requests"]}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20, help="per user (10 made the echo bot's figure swing 1,200–2,500)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of (1), alternated; best and median of each shown")
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--news", type=int, default=10)
    parser.add_argument("--rate", type=int, default=100, help="emulated overall limit, messages/s (Telegram: 30)")
    parser.add_argument("--faults", type=int, default=5, help="429s injected during the broadcast")
    args = parser.parse_args()
    logs.setup("WARNING", "text", Path(tempfile.mkdtemp()) / "relais.log")  # 429 warnings go to the log, not the figures
    emulator = start_emulator("--no-limits")
    try:
        control = TelegramEmulator(emulator.base_url)
        users = [await control.create_user(first_name=f"U{n}", language_code="en") for n in range(args.users)]
        await control.close()
        n = args.users * args.messages
        print(f"(1) {args.users} users × {args.messages} messages = {n} updates, limits off, same emulator")
        echoes, relays = [], []
        for r in range(args.rounds):  # alternated: the machine's other work weighs on both alike
            echoes.append(await echo_updates(emulator.base_url, users, args.messages, f"22{r}:ECHO"))
            relays.append(await relais_updates(emulator.base_url, users, args.messages, f"11{r}:RELAIS"))
        for name, runs in (("aiogram echo bot", echoes), ("Relais          ", relays)):
            print(f"    {name} best {max(runs):6.0f}  median {statistics.median(runs):6.0f} updates/s   "
                  f"(rounds: {', '.join(f'{x:.0f}' for x in runs)})")
        print(f"    ratio: best {max(relays) / max(echoes):.0%}, median {statistics.median(relays) / statistics.median(echoes):.0%}"
              f"   (goal >= 60 %)")
        total = args.followers * args.news
        print(f"(2) broadcast of {total} private notifications ({args.news} news × {args.followers} followers), "
              f"emulated limit {args.rate}/s, {args.faults} injected 429s")
        result = await broadcast(emulator.base_url, args.followers, args.news, args.rate, args.faults)
        print(f"    achieved {result['rate']:8.1f} messages/s = {result['rate'] / args.rate:.1%} of the limit   (goal >= 95 %)")
        print(f"    lost {result['lost']}   duplicates {result['duplicates']}   unsent in the outbox {result['unsent']}   "
              f"429 answers {result['429']}   (goal: 0 lost)")
    finally:
        stop_emulator(emulator)


if __name__ == "__main__":
    asyncio.run(main())
