"""Outbound SMTP: a small pool of open connections (smtp:// with STARTTLS, or smtps://), or a file drop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default
from email.utils import getaddresses
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

import aiosmtplib

log = logging.getLogger("relais.mail.smtp")


class TemporarySmtpError(Exception):
    """4xx or a lost connection: try again later."""


class PermanentSmtpError(Exception):
    """5xx: this recipient will not take it."""


@dataclass
class SmtpTarget:
    host: str
    port: int
    tls: bool
    starttls: bool | None
    user: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> "SmtpTarget":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("RELAIS_SMTP_URL must start with smtp:// or smtps://")
        tls = parts.scheme == "smtps"
        return cls(parts.hostname or "127.0.0.1", parts.port or (465 if tls else 25), tls,
                   None if not tls else False,  # smtp:// upgrades with STARTTLS when the server offers it
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)


class SmtpPool:
    """Keeps up to `size` connections open and sends over whichever is free. A mail to a known account leaves with
    that account's bounce address (`bounce_address(account_id)`, VERP) as its envelope sender, as Mailman's
    delivery does, so its DSN says whose it is. With a `signer` (DKIM), each mail leaves signed as the bytes it is."""

    def __init__(self, url: str, size: int = 4, timeout: float = 30.0, bounce_address: Callable[[int], str] | None = None,
                 signer: Callable[[bytes], bytes] | None = None):
        self.target = SmtpTarget.parse(url)
        self.timeout = timeout
        self.bounce_address = bounce_address
        self.signer = signer
        self._idle: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        self._slots = asyncio.Semaphore(size)

    async def _connect(self) -> aiosmtplib.SMTP:
        t = self.target
        client = aiosmtplib.SMTP(hostname=t.host, port=t.port, use_tls=t.tls, start_tls=t.starttls, timeout=self.timeout)
        await client.connect()
        if t.user:
            await client.login(t.user, t.password or "")
        return client

    async def send(self, sender: str, recipients: list[str], data: bytes, account_id: int | None = None) -> None:
        if account_id is not None and self.bounce_address is not None:
            sender = self.bounce_address(account_id)
        if self.signer is not None:
            data = self.signer(data)
        async with self._slots:
            client = self._idle.get_nowait() if not self._idle.empty() else None
            try:
                if client is None or not client.is_connected:
                    client = await self._connect()
                errors, _ = await client.sendmail(sender, recipients, data)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                client = None if client is None or not client.is_connected else client
                codes = [r.code for r in exc.recipients]
                if all(500 <= c < 600 for c in codes):
                    raise PermanentSmtpError(str(codes)) from None
                raise TemporarySmtpError(str(codes)) from None
            except aiosmtplib.SMTPResponseException as exc:
                if 500 <= exc.code < 600:
                    raise PermanentSmtpError(f"{exc.code} {exc.message[:200]}") from None
                raise TemporarySmtpError(f"{exc.code} {exc.message[:200]}") from None
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
                client = None
                raise TemporarySmtpError(f"{type(exc).__name__}: {str(exc)[:200]}") from None
            finally:
                if client is not None and client.is_connected:
                    self._idle.put_nowait(client)
            if errors:
                raise PermanentSmtpError(str(errors)[:300])

    async def close(self) -> None:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            try:
                await client.quit()
            except Exception:  # closing anyway
                client.close()


class FileDrop:
    """No SMTP configured (the embedded mode): each mail is written as an .eml file, so nothing is lost (signed as it
    would leave, with a `signer`)."""

    def __init__(self, folder: Path, signer: Callable[[bytes], bytes] | None = None):
        self.folder = folder
        self.signer = signer

    async def send(self, sender: str, recipients: list[str], data: bytes, account_id: int | None = None) -> None:
        if self.signer is not None:
            data = self.signer(data)
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{asyncio.get_running_loop().time():.6f}-{abs(hash(data)) % 10**8}.eml"
        await asyncio.to_thread((self.folder / name).write_bytes, data)

    async def close(self) -> None:
        return None

    async def forget(self, accounts: list[tuple[str, str]]) -> int:
        """The mail files to or from an erased person's addresses (their data export among them); how many went."""
        addresses = {address.lower() for platform, address in accounts if platform == "email"}
        return await asyncio.to_thread(self._forget, addresses) if addresses else 0

    def _forget(self, addresses: set[str]) -> int:
        gone = 0
        for path in self.folder.glob("*.eml") if self.folder.is_dir() else ():
            with path.open("rb") as fh:
                headers = BytesHeaderParser(policy=default).parse(fh)
            named = {a.lower() for _, a in getaddresses([str(headers.get(h, "")) for h in ("From", "To", "Cc", "Reply-To")])}
            if named & addresses:
                path.unlink(missing_ok=True)
                gone += 1
        return gone
