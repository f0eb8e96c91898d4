"""How fast Relais starts: `relais --help`, `relais run` on SQLite until the mail gateway answers, and its idle memory.

Each figure is the min/median/max of --runs fresh processes, beside a baseline measured in the same run: a bare
Python interpreter (`python -c pass`) for the command line, and the same interpreter importing asyncio and opening
the same kind of listening socket for `relais run`. The database is migrated once beforehand (a start on an existing
database, the case of every restart). Goals: `relais --help` ≤ 0.5 s, ready ≤ 1.0 s, idle RSS ≤ 100 MB.
Run: .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELAIS = [sys.executable, "-m", "bot"] if not (Path(sys.executable).parent / "relais").exists() else [str(Path(sys.executable).parent / "relais")]

BARE_SERVER = """
import asyncio, sys
async def main():
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", int(sys.argv[1]))
    await asyncio.Event().wait()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def ready(argv: list[str], env: dict, port: int, settle: float = 3.0) -> tuple[float, float]:
    """Seconds from the start to the port answering, and the RSS after `settle` more seconds of idling."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not answers(port):
            if proc.poll() is not None:
                raise RuntimeError(f"exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            if time.perf_counter() - started > 60:
                raise TimeoutError("not listening after 60 s")
            time.sleep(0.005)
        took = time.perf_counter() - started
        deadline = time.perf_counter() + settle
        while time.perf_counter() < deadline:  # idle: what it holds once started
            time.sleep(0.1)
        return took, rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def spread(values: list[float], fmt: str = ".3f") -> str:
    return "/".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port, web = free_port(), free_port()
        env = {**os.environ, "RELAIS_DATA_DIR": tmp, "RELAIS_DATABASE_URL": "", "RELAIS_MAIL_LISTEN": f"127.0.0.1:{port}",
               "RELAIS_WEB_LISTEN": f"127.0.0.1:{web}", "RELAIS_LOG_FILE": str(Path(tmp) / "relais.log"),
               "RELAIS_TELEGRAM_TOKEN": "", "RELAIS_MATRIX_HOMESERVER": "", "RELAIS_SMTP_URL": "", "PYTHONPATH": str(ROOT)}
        subprocess.run(RELAIS + ["migrate"], env=env, check=True, stdout=subprocess.DEVNULL, cwd=tmp)
        bare, help_, bare_ready, run_ready, run_rss, bare_rss = [], [], [], [], [], []
        for _ in range(args.runs):
            bare.append(timed([sys.executable, "-c", "pass"], env))
            help_.append(timed(RELAIS + ["--help"], env))
            t, m = ready([sys.executable, "-c", BARE_SERVER, str(port)], env, port, settle=0.5)
            bare_ready.append(t)
            bare_rss.append(m)
            t, m = ready(RELAIS + ["run"], env, port)
            run_ready.append(t)
            run_rss.append(m)
    print(f"Relais start-up on SQLite (min/median/max of {args.runs} runs)")
    print(f"  relais --help        {spread(help_)} s   (goal ≤ 0.5 s)   bare python: {spread(bare)} s")
    print(f"  relais run, ready    {spread(run_ready)} s   (goal ≤ 1.0 s)   bare asyncio server: {spread(bare_ready)} s")
    print(f"  relais run, idle RSS {spread(run_rss, '.0f')} MB (goal ≤ 100 MB)  bare asyncio server: {spread(bare_rss, '.0f')} MB")
    print(f"  ratio to the bare baselines (medians): --help ×{statistics.median(help_) / statistics.median(bare):.1f}, "
          f"ready ×{statistics.median(run_ready) / statistics.median(bare_ready):.1f}")


if __name__ == "__main__":
    main()
