"""Structured logs: one JSON object a line (or plain text), extra fields kept, no message bodies."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path


def is_terminal(stream=None) -> bool:
    """Whether a person types here (standard input by default): the console chat, the log file instead of stderr."""
    stream = stream or sys.stdin
    return hasattr(stream, "isatty") and stream.isatty()

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
LINE = 300  # longest line of a traceback kept: an exception may quote what someone wrote, and logs carry no bodies


def traceback_text(formatter: logging.Formatter, exc_info) -> str:
    """The traceback, each line cut to LINE characters (the frames stay; a quoted message does not)."""
    return "\n".join(line if len(line) <= LINE else line[:LINE] + "…" for line in formatter.formatException(exc_info).splitlines())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname.lower(),
                "logger": record.name, "event": record.getMessage()}
        data.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            data["traceback"] = traceback_text(self, record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname.lower():7} {record.name}: {record.getMessage()} {extra}".rstrip()
        if record.exc_info:
            line += "\n" + traceback_text(self, record.exc_info)
        return line


def setup(level: str = "INFO", fmt: str = "json", file: str | Path | None = None) -> None:
    handler: logging.Handler
    if file:
        Path(file).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries log at INFO what would drown ours (SQL, HTTP); keep their warnings.
    for noisy in ("tortoise", "aiosqlite", "asyncio", "aerich"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
