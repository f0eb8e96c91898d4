"""SMTP sink for tests: records every message it is sent and can refuse chosen recipients."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = ["ReceivedMessage", "SmtpSink", "free_port", "smtp_sink", "sink"]


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free right now on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class ReceivedMessage:
    """One accepted SMTP transaction."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    received_at: float = field(default_factory=time.time)

    def __getitem__(self, header: str) -> str | None:
        return self.message[header]


class _Handler:
    """aiosmtpd handler; runs on the controller's event-loop thread."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self._sink._rcpt_refusal(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        deferral = self._sink._take_data_deferral()
        if deferral is not None:
            return deferral
        if self._sink._should_hold():
            # Keep the sender waiting for our 250 until the test lets go; if the sender died meanwhile, the
            # transaction never completed on its side either, so the message is not recorded (SMTP semantics).
            self._sink.holding.set()
            while not self._sink._released.is_set():
                await asyncio.sleep(0.02)
            if server.transport is None or server.transport.is_closing():
                return "421 4.4.2 sender gone"
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        self._sink._record(
            ReceivedMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=raw,
                message=message_from_bytes(raw, policy=policy.default),
            )
        )
        return "250 2.0.0 Message accepted"


class SmtpSink:
    """An SMTP server on 127.0.0.1 in its own thread that stores what it receives.

    ``fail_rcpt`` maps a recipient address (case-insensitive) to an ``(code, text)``
    reply given at RCPT TO, e.g. ``{"x@y": (550, "5.1.1 no such user")}`` for a
    hard bounce or ``(450, "4.2.1 mailbox busy")`` for a soft one.
    ``defer_next(n)`` answers DATA of the next ``n`` transactions with a 4xx so
    the sender has to retry the whole message.
    """

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or 0
        self.fail_rcpt: dict[str, tuple[int, str]] = {}
        self._cond = threading.Condition()
        self._messages: list[ReceivedMessage] = []
        self._deferrals: list[tuple[int, str]] = []
        self._controller: Controller | None = None
        self._hold_at: int | None = None
        self.holding = threading.Event()
        self._released = threading.Event()

    def start(self) -> SmtpSink:
        # A port picked as free can be taken by someone else before we bind it, so retry.
        last_error: Exception | None = None
        for _ in range(5):
            port = self.port or free_port(self.host)
            controller = Controller(
                _Handler(self),
                hostname=self.host,
                port=port,
                server_hostname="sink.relais.test",
                decode_data=False,
                enable_SMTPUTF8=True,
                ready_timeout=5.0,
            )
            try:
                controller.start()
            except (OSError, RuntimeError, TimeoutError) as error:
                last_error = error
                if self.port:
                    break
                continue
            self.port = port
            self._controller = controller
            return self
        raise RuntimeError(f"SMTP sink could not listen on {self.host}: {last_error}")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A snapshot of everything accepted so far, oldest first."""
        with self._cond:
            return list(self._messages)

    def clear(self) -> None:
        """Forget received messages."""
        with self._cond:
            self._messages.clear()

    def reset(self) -> None:
        """Forget received messages and every configured refusal."""
        with self._cond:
            self._messages.clear()
            self._deferrals.clear()
            self.fail_rcpt = {}
            self._hold_at = None
        self._released.set()
        self.holding.clear()

    def defer_next(self, count: int, code: int = 451, text: str = "4.3.0 Try again later") -> None:
        """Answer DATA of the next ``count`` transactions with ``code`` (nothing is recorded)."""
        if not 400 <= code < 500:
            raise ValueError("defer_next is for temporary (4xx) failures")
        with self._cond:
            self._deferrals.extend([(code, text)] * count)

    def hold_after(self, count: int) -> None:
        """Once ``count`` messages are recorded, keep the next DATA unanswered until ``release()``;
        ``holding`` is set while a sender waits. A sender killed meanwhile has its message dropped."""
        with self._cond:
            self._hold_at = count
            self.holding.clear()
            self._released.clear()

    def release(self) -> None:
        with self._cond:
            self._hold_at = None
        self._released.set()

    def _should_hold(self) -> bool:
        with self._cond:
            return self._hold_at is not None and len(self._messages) >= self._hold_at

    def received_by(self, address: str) -> list[ReceivedMessage]:
        """Messages whose envelope recipients include ``address``."""
        wanted = address.lower()
        return [m for m in self.messages if wanted in (r.lower() for r in m.rcpt_tos)]

    def wait_for(
        self,
        count: int = 1,
        timeout: float = 30.0,
        predicate: Callable[[ReceivedMessage], bool] | None = None,
        recipients: Iterable[str] = (),
    ) -> list[ReceivedMessage]:
        """Block until at least ``count`` received messages match ``predicate``; return them.

        With ``recipients``, also wait until every one of those addresses is among the
        envelope recipients of the matching messages: a sender may put several
        recipients in one transaction or split them, and this does not care which.
        Raises ``TimeoutError`` listing what did arrive, so a failing test says why.
        """
        wanted = {r.lower() for r in recipients}
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matching = [m for m in self._messages if predicate is None or predicate(m)]
                reached = {r.lower() for m in matching for r in m.rcpt_tos}
                if len(matching) >= count and wanted <= reached:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = (
                        "\n".join(
                            f"  from={m.mail_from} to={list(m.rcpt_tos)} subject={m['Subject']!r}"
                            for m in self._messages
                        )
                        or "  (nothing)"
                    )
                    missing = f" (never reached: {sorted(wanted - reached)})" if wanted - reached else ""
                    raise TimeoutError(
                        f"expected {count} matching message(s) within {timeout}s, "
                        f"got {len(matching)}{missing}; the sink holds:\n{seen}"
                    )
                self._cond.wait(remaining)

    def _record(self, received: ReceivedMessage) -> None:
        with self._cond:
            self._messages.append(received)
            self._cond.notify_all()

    def _rcpt_refusal(self, address: str) -> str | None:
        with self._cond:
            refusal = {k.lower(): v for k, v in self.fail_rcpt.items()}.get(address.lower())
        if refusal is None:
            return None
        code, text = refusal
        return f"{code} {text}"

    def _take_data_deferral(self) -> str | None:
        with self._cond:
            if not self._deferrals:
                return None
            code, text = self._deferrals.pop(0)
        return f"{code} {text}"


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    """One SMTP sink for the whole test session."""
    with SmtpSink() as server:
        yield server


@pytest.fixture
def sink(smtp_sink: SmtpSink) -> SmtpSink:
    """The session sink, emptied and with no refusals configured, for one test."""
    smtp_sink.reset()
    return smtp_sink
