"""The inbound mail gateway (aiosmtpd, SMTP or LMTP): checks recipients, stores each mail, then says 250."""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.adapters.web import ListenError, split_listen
from models.mail import InboundMail

log = logging.getLogger("relais.mail")
# aiosmtpd logs every command line at INFO, reply tokens (relais+<token>@) included: only its warnings are kept.
logging.getLogger("mail.log").setLevel(logging.WARNING)
# aiosmtpd refuses a mail with a line over 998 characters naming only the RFC; the sender's client shows our text.
_AIOSMTPD_TOO_LONG = "500 Line too long (see RFC5321 4.5.3.1.6)"
LINE_TOO_LONG = ("500 5.5.2 Line too long: a line of this mail is longer than 998 characters (RFC 5322); "
                 "wrap it or attach it")


class _Replies:
    """aiosmtpd's own replies, reworded where they would puzzle a person (it has no hook for them: they are pushed
    from inside its DATA loop)."""

    async def push(self, status):
        await super().push(LINE_TOO_LONG if status == _AIOSMTPD_TOO_LONG else status)


class _Smtp(_Replies, SMTP):
    pass


class _Lmtp(_Replies, LMTP):
    pass


class _Handler:
    def __init__(self, gateway: "Gateway"):
        self.gateway = gateway

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]) -> str:
        if not self.gateway.accepts(address):
            log.info("recipient refused", extra={"peer": str(session.peer[0]) if session.peer else ""})
            return f"550 5.1.1 <{address}>: no such user here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        count = len(envelope.rcpt_tos) if self.gateway.lmtp else 1  # LMTP answers once per recipient
        try:
            row_id = await self.gateway.store(envelope)
        except Exception:
            log.exception("storing a mail failed")
            return "\r\n".join(["451 4.3.0 Temporary failure, please try again later"] * count)
        return "\r\n".join([f"250 2.0.0 Queued as {row_id}"] * count)


class Gateway:
    """Accepts mail for relais@<domain> and relais+<valid token>@<domain>; one row per mail, committed before 250."""

    def __init__(self, listen: str, domain: str, max_size: int, lmtp: bool, accepts, clock, on_stored=None):
        self.host, self.port = split_listen(listen)
        self.domain = domain.lower()
        self.max_size = max_size
        self.lmtp = lmtp
        self.accepts = accepts  # recipient → bool, from the composer and the token signer
        self.clock = clock
        self.on_stored = on_stored
        self._server: asyncio.AbstractServer | None = None

    def _protocol(self) -> SMTP:
        kind = _Lmtp if self.lmtp else _Smtp
        return kind(_Handler(self), data_size_limit=self.max_size, enable_SMTPUTF8=True, decode_data=False,
                    hostname=self.domain, ident="Relais mail gateway", loop=asyncio.get_running_loop())

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(self._protocol, self.host, self.port)
        except OSError as exc:
            raise ListenError(f"cannot listen on {self.host}:{self.port} ({exc.strerror or exc}); set RELAIS_MAIL_LISTEN "
                              "to a free host:port (or empty to turn the mail gateway off)") from None
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("mail gateway listening", extra={"host": self.host, "port": self.port, "lmtp": self.lmtp})

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            try:
                await asyncio.wait_for(self._server.wait_closed(), 5)
            except asyncio.TimeoutError:  # a client still connected; the socket is closed anyway
                log.warning("mail gateway stopped with clients connected")
            self._server = None

    async def store(self, envelope: Envelope) -> int:
        content = envelope.original_content or b""
        mail_from = "" if envelope.mail_from in (None, "<>") else envelope.mail_from  # "" = the null return path
        row = await InboundMail.create(mail_from=mail_from, rcpt_tos=list(envelope.rcpt_tos), content=content,
                                       size=len(content), received_at=self.clock())
        if self.on_stored:
            self.on_stored()
        return row.id
