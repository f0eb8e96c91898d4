"""Mail intake: 2,000 small mails over 4 SMTP connections into Relais' gateway, against a bare aiosmtpd sink.

Relais answers 250 only once a mail is committed to the database (SQLite in WAL mode by default, as in the
embedded setup); the baseline, measured in the same run with the same client, is aiosmtpd answering 250 at once.
The client runs in its own process so that it does not share the server's event loop. After intake, the worker
processes the stored mails (parse, strip quotes, run the commands, queue one reply each): its time is printed too.
Run: .venv/bin/python bench/mail.py [--mails 2000] [--connections 4] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG = os.environ.get("RELAIS_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")  # as the tests
SENDERS = 200
LINES = ["projets", "suivre dombes-brasserie", "ne-plus-suivre dombes-brasserie", "projet conciergerie-rurale", "suivis"]


def message(i: int) -> bytes:
    sender = f"member{i % SENDERS}@example.org"
    return (f"From: Member {i % SENDERS} <{sender}>\r\nTo: relais@relais.test\r\nSubject: {LINES[i % len(LINES)]}\r\n"
            f"Message-ID: <bench{i}@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\n\r\nMerci !\r\n-- \r\nMember {i % SENDERS}\r\n").encode()


def client(port: int, mails: int, connections: int, out) -> None:
    """In its own process: send `mails` mails over `connections` concurrent SMTP sessions; report the elapsed time."""
    import aiosmtplib

    async def session(indexes: range) -> None:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=60) as smtp:
            for i in indexes:
                await smtp.sendmail(f"member{i % SENDERS}@example.org", ["relais@relais.test"], message(i))

    async def main() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(session(range(c, mails, connections)) for c in range(connections)))
        return time.perf_counter() - start

    out.put(asyncio.run(main()))


async def timed_client(port: int, mails: int, connections: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=client, args=(port, mails, connections, queue))
    proc.start()
    elapsed = await asyncio.to_thread(queue.get, True, 600)
    await asyncio.to_thread(proc.join)
    return elapsed


async def baseline(mails: int, connections: int) -> float:
    from aiosmtpd.smtp import SMTP

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Sink(), enable_SMTPUTF8=True, loop=loop), "127.0.0.1", 0)
    try:
        return await timed_client(server.sockets[0].getsockname()[1], mails, connections)
    finally:
        server.close()
        await server.wait_closed()


async def relais(mails: int, connections: int, database: str) -> tuple[float, float, int, int]:
    from bot.app import App
    from bot.config import Settings
    from bot.services import demo
    from mail.inbound import Gateway
    from models import Account, Community, Membership, Person, Role
    from models.mail import InboundMail, MailStatus, OutgoingMail

    tmp = Path(tempfile.mkdtemp())
    if database == "postgres":
        import asyncpg

        conn = await asyncpg.connect(PG)
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        await conn.close()
    url = f"sqlite://{tmp / 'bench.sqlite3'}" if database == "sqlite" else PG
    settings = Settings(data_dir=tmp, database_url=url, log_level="WARNING", secret_key="bench",
                        sections={"mail": {"domain": "relais.test", "listen": "127.0.0.1:0"}})
    app = App(settings)
    await app.start()
    try:
        await demo.seed("me", app.clock())
        community = await Community.get(slug=demo.SLUG)
        for n in range(SENDERS):  # confirmed members, so every mail runs its command and gets its reply
            person = await Person.create(display_name=f"Member {n}")
            await Account.create(person=person, platform="email", address=f"member{n}@example.org", preferred=True)
            await Membership.create(person=person, community=community, role=Role.MEMBER)
        mail = app.mail
        await mail.ready()
        # The adapter's own gateway, without its worker running: intake is measured alone, processing after.
        gateway = Gateway("127.0.0.1:0", "relais.test", settings.mail.max_size, False, mail.accepts, app.clock)
        await gateway.start()
        try:
            intake = await timed_client(gateway.port, mails, connections)
        finally:
            await gateway.stop()
        stored = await InboundMail.all().count()
        start = time.perf_counter()
        await mail.drain()
        processing = time.perf_counter() - start
        done = await InboundMail.filter(status=MailStatus.DONE).count()
        replies = await OutgoingMail.filter(kind="reply").count()
        assert stored == mails, f"{stored} stored of {mails}"
        return intake, processing, done, replies
    finally:
        await app.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    base = await baseline(args.mails, args.connections)
    intake, processing, done, replies = await relais(args.mails, args.connections, args.database)
    base_rate, rate = args.mails / base, args.mails / intake
    print(f"mail intake, {args.mails} mails over {args.connections} SMTP connections ({args.database})")
    print(f"  bare aiosmtpd sink (250 at once)     {base_rate:8.0f} mails/s  ({base:.2f} s)")
    print(f"  Relais gateway (stored, then 250)    {rate:8.0f} mails/s  ({intake:.2f} s)")
    print(f"  ratio                                {100 * rate / base_rate:8.0f} %   (goal >= 50 %)")
    print(f"processing after intake: {processing:.2f} s for {done} mails ({done / processing:.0f} mails/s), {replies} replies queued")


if __name__ == "__main__":
    asyncio.run(main())
