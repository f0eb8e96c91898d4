"""Session-scoped pytest fixture that runs the Telegram Bot API emulator as a subprocess."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["TOKEN", "RunningEmulator", "emu", "start_emulator", "stop_emulator", "telegram_emulator", "telegram_token"]

TOKEN = "123:ABC"  # the bot token the tests use unless a module says otherwise (its own `telegram_token` fixture)

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RunningEmulator:
    process: subprocess.Popen[str]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_emulator(*extra_args: str, timeout: float = 15.0) -> RunningEmulator:
    """Start ``python -m tests.peers.telegram_api`` and wait for its ``READY <port>`` line."""
    command = [sys.executable, "-m", "tests.peers.telegram_api", "--host", "127.0.0.1", "--port", "0", *extra_args]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                process.kill()
                raise RuntimeError(f"Telegram emulator printed no READY line within {timeout}s")
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"Telegram emulator exited with {process.wait()} before it was ready")
            if line.startswith("READY "):
                return RunningEmulator(process, int(line.split()[1]))


def stop_emulator(emulator: RunningEmulator) -> None:
    emulator.process.terminate()
    try:
        emulator.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        emulator.process.kill()
        emulator.process.wait()
    if emulator.process.stdout is not None:
        emulator.process.stdout.close()


@pytest.fixture(scope="session")
def telegram_emulator() -> Iterator[RunningEmulator]:
    """One emulator for the whole session; tests call ``/_emu/reset`` to start from a clean world."""
    emulator = start_emulator()
    try:
        yield emulator
    finally:
        stop_emulator(emulator)


@pytest.fixture
def telegram_token() -> str:
    return TOKEN


@pytest.fixture
async def emu(telegram_emulator, telegram_token):
    """A client of the session's emulator for one test: the world reset, the rate limits off."""
    from tests.peers.telegram_client import TelegramEmulator

    client = TelegramEmulator(telegram_emulator.base_url, telegram_token)
    await client.reset()
    await client.set_limits(enabled=False)
    yield client
    await client.close()
