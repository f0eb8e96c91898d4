"""`relais <command>` for the tests, as a process of its own but without paying Python's imports each time.

A zygote process imports Relais and the libraries its commands load (about two thirds of what a one-shot command
costs), then waits on a Unix socket; each run is a fork of it that takes the test's working directory, environment
and standard input, runs `bot.cli.main` as `python -m bot` would, and sends back its exit code and outputs. The run
is still a process of its own: nothing it sets (Tortoise, logging, signals, the environment) reaches the tests or
the next run. Long-lived services (`relais run`, signals, SIGKILL) stay real subprocesses in the tests.

`RELAIS_TEST_ZYGOTE=0` runs every command as a plain subprocess instead."""

from __future__ import annotations

import atexit
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM = ("bot.app", "bot.cli", "bot.cli.backup", "bot.cli.report", "bot.cli.status", "bot.cli.agenda", "bot.cli.digest",
        "bot.cli.forget", "bot.adapters.console", "bot.services.report_chart", "matplotlib.pyplot", "openpyxl", "icalendar",
        "aerich", "asyncpg", "aiosqlite", "dateparser", "mail.signing")


def _send(conn: socket.socket, message: dict) -> None:
    data = json.dumps(message).encode()
    conn.sendall(struct.pack("!Q", len(data)) + data)


def _receive(conn: socket.socket) -> dict:
    def exactly(n: int) -> bytes:
        chunks = b""
        while len(chunks) < n:
            chunk = conn.recv(n - len(chunks))
            if not chunk:
                raise EOFError("the zygote closed the connection")
            chunks += chunk
        return chunks
    (size,) = struct.unpack("!Q", exactly(8))
    return json.loads(exactly(size))


# -- the zygote's side --------------------------------------------------------------------------------------------

def _child(conn: socket.socket, request: dict) -> None:
    """In the forked process: become `python -m bot <args>` and report."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote reaps automatically; a command's own children need waiting
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    _send(conn, {"pid": os.getpid()})
    files = [tempfile.TemporaryFile() for _ in range(3)]
    files[0].write(request["stdin"].encode())
    files[0].seek(0)
    for fd, f in enumerate(files):
        os.dup2(f.fileno(), fd)
    sys.stdin = io.TextIOWrapper(open(0, "rb", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(open(2, "wb", closefd=False), encoding="utf-8", line_buffering=True)
    sys.argv = [str(ROOT / "bot" / "__main__.py"), *request["args"]]
    code = 0
    try:
        from bot.cli import main

        code = main(request["args"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        import logging

        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
    outputs = []
    for f in files[1:]:
        f.seek(0)
        outputs.append(f.read().decode("utf-8", "replace"))
    _send(conn, {"code": code if isinstance(code, int) else 1, "stdout": outputs[0], "stderr": outputs[1]})
    conn.close()
    os._exit(0)


def serve(path: str) -> None:
    for name in WARM:
        try:
            __import__(name)
        except ImportError:  # a module gone or renamed: its command pays its own import
            pass
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        try:
            request = _receive(conn)
        except (EOFError, OSError):
            conn.close()
            continue
        if os.fork() == 0:
            server.close()
            _child(conn, request)
        conn.close()


# -- the tests' side ----------------------------------------------------------------------------------------------

class Zygote:
    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="relais-zygote-")
        self.path = os.path.join(self.folder, "socket")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
        self.process = subprocess.Popen([sys.executable, __file__, self.path], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.strip() == "ready", f"the command zygote did not start: {line!r}"
        atexit.register(self.stop)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def run(self, args: list[str], env: dict, stdin: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(self.path)
            _send(conn, {"args": list(args), "env": env, "stdin": stdin, "cwd": str(cwd)})
            pid = _receive(conn)["pid"]
            try:
                done = _receive(conn)
            except (TimeoutError, socket.timeout):
                os.kill(pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(["relais", *args], timeout) from None
        return subprocess.CompletedProcess(["relais", *args], done["code"], done["stdout"], done["stderr"])


_zygote: Zygote | None = None


def run(args: list[str], env: dict, stdin: str = "", cwd: Path = ROOT, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m bot <args>` with this environment and input: exit code, stdout and stderr as text."""
    global _zygote
    if os.environ.get("RELAIS_TEST_ZYGOTE", "1") == "0":
        return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, cwd=cwd,
                              env=env, timeout=timeout)
    if _zygote is None or _zygote.process.poll() is not None:
        _zygote = Zygote()
    return _zygote.run(args, env, stdin, cwd, timeout)


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # as `python -m bot` run from the checkout sees it
    serve(sys.argv[1])
