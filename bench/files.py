"""News photos: N news with a 3 MB photo each to F followers, then the same photos sent to Telegram followers.

(A) through the core (the console's /news with a photo): every photo stored once (cleaned, shrunk, its thumbnail made
once), the same photos posted again store nothing; the followers' notifications carry the photo's hash, not its bytes.
(B) on the Bot API emulator: K of those news delivered to F Telegram followers: each photo uploaded once, every other
sendPhoto names its file_id. Each run is a process of its own: its peak memory (max RSS) is the run's alone.
Run: .venv/bin/python bench/files.py [--news 1000] [--followers 100] [--telegram-news 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from bot import logs  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.incoming import Incoming, Upload  # noqa: E402
from bot.core.render import to_text  # noqa: E402
from bot.services import demo  # noqa: E402
from bot.services import files as files_module  # noqa: E402
from models import Account, FileUpload, Follow, OutboxMessage, Person, Project, StoredFile  # noqa: E402
from tests.peers.telegram_client import TelegramEmulator  # noqa: E402
from tests.peers.telegram_fixture import start_emulator, stop_emulator  # noqa: E402

SIDE = (2448, 1836)  # a phone's 4.5-megapixel photo, noisy enough to weigh 3 MB as a JPEG
TOKEN = "444:FILES"


class Photos:
    """Distinct 3 MB JPEGs, made one at a time (never all held): a noisy base with blocks of colours of their own."""

    def __init__(self) -> None:
        self.base = Image.merge("RGB", [Image.effect_noise(SIDE, 90) for _ in range(3)])

    def __call__(self, n: int) -> bytes:
        image = self.base.copy()
        colours = random.Random(n)
        for k in range(6):  # blocks of colours of its own: distinct once shrunk and encoded again
            image.paste(tuple(colours.randrange(256) for _ in range(3)), (k * 160, 0, k * 160 + 128, 128))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        return out.getvalue()


def settings(tmp: Path, **sections) -> Settings:
    return Settings(data_dir=tmp, database_url=f"sqlite://{tmp / 'bench.sqlite3'}", log_format="text", scheduler=False,
                    sections={"mail": {"listen": ""}, "web": {"web_listen": ""}, **sections})


async def post(app: App, text: str, data: bytes) -> None:
    reply = await app.dispatcher.handle(Incoming(platform="console", address="me", text=f"/news dombes-brasserie {text}",
                                                 files=(Upload("photo.jpg", data),)))
    assert reply is not None and not reply.error, reply and to_text(reply)


async def through_the_core(news: int, followers: int, photos: Photos) -> dict:
    tmp = Path(tempfile.mkdtemp())
    app = App(settings(tmp))
    await app.start()
    await demo.seed("me", app.clock())
    project = await Project.get(slug="dombes-brasserie")
    await Person.bulk_create([Person(display_name=f"Follower {n}") for n in range(followers)])
    people = await Person.filter(display_name__startswith="Follower ").order_by("id")
    await Account.bulk_create([Account(person_id=p.id, platform="console", address=f"f{p.id}") for p in people])
    await Follow.bulk_create([Follow(person_id=p.id, project_id=project.id) for p in people])
    cleaned = 0
    clean = files_module.clean_image

    def counted(data: bytes, mime: str):
        nonlocal cleaned
        cleaned += 1
        return clean(data, mime)

    files_module.clean_image = counted
    spent = 0.0
    try:
        for n in range(news):
            data = photos(n)
            began = time.perf_counter()
            await post(app, f"News {n}", data)
            spent += time.perf_counter() - began
        again = 10  # the same photos posted again: recognised by their bytes, nothing decoded nor stored
        for n in range(again):
            await post(app, f"Again {n}", photos(n))
    finally:
        files_module.clean_image = clean
    stored = await StoredFile.all().count()
    thumbs = len({s for s in await StoredFile.all().values_list("thumb_sha256", flat=True) if s})
    on_disk = sum(1 for p in (tmp / "files-store").rglob("*") if p.is_file()) if (tmp / "files-store").exists() else -1
    queued = await OutboxMessage.all().count()
    await app.stop()
    return {"news": news, "post_s": spent, "stored": stored, "thumbs": thumbs, "cleaned": cleaned, "files_on_disk": on_disk,
            "notifications": queued}


async def to_telegram(base_url: str, news: int, followers: int, photos: Photos) -> dict:
    emu = TelegramEmulator(base_url, TOKEN)
    await emu.reset()  # the emulator serves every run: each starts from an empty world
    await emu.set_limits(enabled=False)
    tmp = Path(tempfile.mkdtemp())
    app = App(settings(tmp, telegram={"token": TOKEN, "api_url": base_url, "chat_rate": 1e6, "global_rate": 1e6}))
    await app.start()
    await demo.seed("me", app.clock())
    stop = asyncio.Event()
    task = asyncio.create_task(app.serve(stop))
    await app.adapter("telegram").wait_ready(10)
    for n in range(followers):
        await emu.start(await emu.create_user(first_name=f"T{n}", language_code="fr"))
    await wait_sent(emu, followers, 120)
    project = await Project.get(slug="dombes-brasserie")
    await Follow.bulk_create([Follow(person_id=a.person_id, project_id=project.id) for a in await Account.filter(platform="telegram")])
    began = time.perf_counter()
    for n in range(news):
        await post(app, f"Photo {n}", photos(10_000 + n))
    await wait_sent(emu, followers + 2 * news * followers, 600)
    spent = time.perf_counter() - began
    stop.set()
    await task
    sent = [r for r in await emu.sent() if r.get("method") == "sendPhoto"]
    file_ids = {r["message"]["photo"][-1]["file_id"] for r in sent}
    remembered = await FileUpload.filter(platform="telegram").count()
    await app.stop()
    await emu.close()
    return {"photos_sent": len(sent), "distinct_file_ids": len(file_ids), "uploads_remembered": remembered, "send_s": spent}


async def wait_sent(emu: TelegramEmulator, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (await emu.stats())["sent_messages"] < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {(await emu.stats())['sent_messages']} of {count} messages sent within {timeout}s")
        await asyncio.sleep(0.1)


async def one(args: argparse.Namespace, base_url: str) -> dict:
    logs.setup("WARNING", "text", Path(tempfile.mkdtemp()) / "relais.log")
    photos = Photos()
    figures = await through_the_core(args.news, args.followers, photos)
    figures["peak_a_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures |= await to_telegram(base_url, args.telegram_news, args.followers, photos)
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def spread(runs: list[dict], key: str, unit: str = "", digits: int = 1) -> str:
    values = [r[key] for r in runs]
    return f"min {min(values):.{digits}f}{unit} / median {statistics.median(values):.{digits}f}{unit} / max {max(values):.{digits}f}{unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=int, default=1000)
    parser.add_argument("--followers", type=int, default=100)
    parser.add_argument("--telegram-news", type=int, default=10, help="news of (B), each to every follower on the emulator")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", default="", help=argparse.SUPPRESS)  # a run in its own process: the emulator's URL
    args = parser.parse_args()
    if args.one:
        print(json.dumps(asyncio.run(one(args, args.one))))
        return
    emulator = start_emulator("--no-limits")
    runs = []
    try:
        for _ in range(args.runs):
            command = [sys.executable, __file__, "--one", emulator.base_url, "--news", str(args.news), "--followers",
                       str(args.followers), "--telegram-news", str(args.telegram_news)]
            began = time.perf_counter()
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]) | {"run_s": time.perf_counter() - began})
    finally:
        stop_emulator(emulator)
    last = runs[-1]
    print(f"(A) {args.news} news with a 3 MB photo each, {args.followers} followers, {args.runs} runs "
          f"(a run, start to end: {spread(runs, 'run_s', ' s', 0)})")
    print(f"    posting (store, clean, thumbnail, notify): {spread(runs, 'post_s', ' s')}; "
          f"per news {statistics.median(r['post_s'] for r in runs) / args.news * 1000:.0f} ms (median)")
    print(f"    photos stored {last['stored']}, thumbnails {last['thumbs']}, images decoded {last['cleaned']} "
          f"(then 10 posted again: nothing more), files in the store {last['files_on_disk']}, notifications {last['notifications']}")
    print(f"(B) {args.telegram_news} news to {args.followers} Telegram followers: {last['photos_sent']} sendPhoto, "
          f"{last['uploads_remembered']} uploads, {last['distinct_file_ids']} distinct file_ids (the rest by file_id); "
          f"{spread(runs, 'send_s', ' s')}")
    print(f"peak memory per run (max RSS): after (A) {spread(runs, 'peak_a_mb', ' MB', 0)}; "
          f"after (B) {spread(runs, 'peak_mb', ' MB', 0)} (limit 300 MB)")
    once = all(r["stored"] == r["thumbs"] == r["cleaned"] == args.news and r["files_on_disk"] == 2 * args.news
               and r["uploads_remembered"] == r["distinct_file_ids"] == args.telegram_news for r in runs)
    print("each photo stored once, its thumbnail made once, one upload per photo:", "yes" if once else "NO")


if __name__ == "__main__":
    main()
