"""Fixtures of the email tests: Relais serving on loopback (gateway, web links, delivery) with the SMTP sink as relay."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import aiosmtplib
import pytest
from tortoise.expressions import Q

from bot.app import App
from bot.config import Settings
from bot.services import demo
from models import Account, Community, Membership, OutboxMessage, OutboxStatus, Person, Role
from models.mail import InboundMail, MailStatus, OutgoingMail
from tests.conftest import Clock, database_url
from tests.peers.smtp_sink import ReceivedMessage, SmtpSink, free_port

DOMAIN = "relais.test"
RELAIS = f"relais@{DOMAIN}"


def crlf(text: str | bytes) -> bytes:
    """Literal mails are written with \\n in the tests; SMTP wants CRLF."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@dataclass
class Relais:
    """Relais serving on loopback: what a test talks to and looks at."""

    app: App
    mail: object
    sink: SmtpSink
    clock: Clock
    tmp: Path
    web_url: str

    @property
    def port(self) -> int:
        return self.mail.gateway.port

    async def send(self, message: str | bytes, mail_from: str = "ana@example.org", to=(RELAIS,)) -> tuple[dict, str]:
        """One SMTP transaction into the gateway; returns (refused recipients, final reply)."""
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=self.port, timeout=10) as client:
            refused, reply = await client.sendmail(mail_from, list(to), crlf(message))
        return refused, reply

    async def wait_mail(self, count: int = 1, timeout: float = 30.0, predicate=None, to=()) -> list[ReceivedMessage]:
        return await asyncio.to_thread(self.sink.wait_for, count, timeout, predicate, to)

    async def settle(self, timeout: float = 30.0) -> None:
        """Until nothing due is left: stored mail processed, outgoing mail sent, the outbox delivered."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            now = self.clock()
            busy = await InboundMail.filter(Q(status=MailStatus.WORKING) | Q(status=MailStatus.PENDING, next_attempt_at__isnull=True)
                                            | Q(status=MailStatus.PENDING, next_attempt_at__lte=now)).exists()
            busy = busy or await OutgoingMail.filter(Q(status=MailStatus.WORKING) | Q(status=MailStatus.PENDING, next_attempt_at__lte=now)).exists()
            busy = busy or await OutboxMessage.filter(Q(status=OutboxStatus.SENDING) | Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)).exists()
            if not busy:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("Relais did not settle")
            await asyncio.sleep(0.02)

    async def person_with_email(self, name: str, address: str, role: Role = Role.MEMBER, confirmed: bool = True,
                                console: bool = False) -> Person:
        return await person_with_email(name, address, role, confirmed, console)


async def person_with_email(name: str, address: str, role: Role = Role.MEMBER, confirmed: bool = True,
                            console: bool = False) -> Person:
    """A member of the demo community with a (confirmed) email account, and optionally a console one."""
    person = await Person.create(display_name=name)
    await Account.create(person=person, platform="email", address=address, confirmed=confirmed, preferred=True)
    if console:
        await Account.create(person=person, platform="console", address=name.lower())
    community = await Community.get(slug=demo.SLUG)
    await Membership.create(person=person, community=community, role=role)
    return person


def mail_settings(tmp_path: Path, sink: SmtpSink, **sections) -> Settings:
    web_port = free_port()
    merged = {"mail": {"listen": "127.0.0.1:0", "domain": DOMAIN},
              "smtp": {"url": f"smtp://127.0.0.1:{sink.port}"},
              "web": {"web_listen": f"127.0.0.1:{web_port}", "public_url": f"http://127.0.0.1:{web_port}"}}
    for name, values in sections.items():
        merged.setdefault(name, {}).update(values)
    return Settings(data_dir=tmp_path, database_url=database_url("sqlite", tmp_path), log_format="text",
                    delivery_interval=0.05, secret_key="test-secret", sections=merged)


async def serve(settings: Settings, clock: Clock, seed: bool = True):
    """Start an App the way `relais run` does; returns (app, mail adapter, stop event, serving task)."""
    app = App(settings, clock=clock)
    await app.start()
    if seed:
        await demo.seed("me", clock())
    stop = asyncio.Event()
    task = asyncio.create_task(app.serve(stop))
    mail = app.mail
    for _ in range(500):
        if mail._tasks:
            break
        await asyncio.sleep(0.01)
    return app, mail, stop, task


async def shutdown(app: App, stop: asyncio.Event, task: asyncio.Task) -> None:
    stop.set()
    await asyncio.wait_for(task, 20)
    await app.stop()


@pytest.fixture
async def relais(tmp_path, clock, sink):
    settings = mail_settings(tmp_path, sink)
    app, mail, stop, task = await serve(settings, clock)
    yield Relais(app, mail, sink, clock, tmp_path, settings.web.public_url)
    await shutdown(app, stop, task)
