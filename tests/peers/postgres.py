"""The tests' PostgreSQL server, chosen once when the test session starts:

1. the one named by ``RELAIS_TEST_POSTGRES`` (a ``postgres://`` address; CI passes the machine's);
2. else the machine's own on 127.0.0.1:5432 when something listens there (database ``test``, trust auth);
3. else — or when ``RELAIS_TEST_POSTGRES=throwaway`` — a throwaway server of the session's own, made with the system's
   ``initdb`` and ``pg_ctl`` (``make peers`` installs them when absent) in a temporary folder on a free loopback port,
   stopped and removed when the session ends.

Each process (an xdist worker, a second checkout) that needs a throwaway server starts its own."""

from __future__ import annotations

import asyncio
import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

MACHINE = "postgres://postgres@127.0.0.1:5432/test"
PEERS_DIR = Path(os.environ.get("RELAIS_PEERS_DIR", Path.home() / ".cache" / "relais-peers"))


def listening(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def binaries() -> Path | None:
    """The folder of `initdb` and `pg_ctl`: the system's (Debian keeps them out of PATH), or the packaged build
    `make peers` installs where the system has none."""
    candidates = [Path(p).parent for p in (shutil.which("initdb"),) if p]
    candidates += [Path(p).parent for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)]
    candidates += [Path(p).parent for p in glob.glob(str(PEERS_DIR / "postgres-venv/lib/python*/site-packages/pgserver/pginstall/bin/initdb"))]
    for folder in candidates:
        if (folder / "pg_ctl").exists():
            return folder
    return None


def _as_owner(owner: str | None, command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: the server then runs as an unprivileged account that owns its folder.
    return ["runuser", "-u", owner, "--", *command] if owner else command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_throwaway() -> str:
    """Make, start and register for removal a server of this process; returns its address (database `test`)."""
    folder = binaries()
    if folder is None:
        raise RuntimeError("no PostgreSQL listens on 127.0.0.1:5432 and no initdb was found: run `make peers` "
                           "(it installs PostgreSQL's binaries) or set RELAIS_TEST_POSTGRES=postgres://…")
    owner = None
    if os.geteuid() == 0:
        owner = next((name for name in ("postgres", "nobody") if _has_user(name)), None)
    root = Path(tempfile.mkdtemp(prefix="relais-pg-"))
    data, log = root / "data", root / "server.log"
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    run = dict(check=True, capture_output=True, text=True, timeout=120)
    subprocess.run(_as_owner(owner, [str(folder / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync",
                                     "-E", "UTF8", "--locale=C"]), **run)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(_as_owner(owner, [str(folder / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60",
                                     "start"]), **run)

    def stop() -> None:
        subprocess.run(_as_owner(owner, [str(folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(stop)
    asyncio.run(_create_database(f"postgres://postgres@127.0.0.1:{port}/postgres"))
    return f"postgres://postgres@127.0.0.1:{port}/test"


async def _create_database(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE DATABASE test")
    finally:
        await conn.close()


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def server() -> str:
    given = os.environ.get("RELAIS_TEST_POSTGRES", "")
    if given and given != "throwaway":
        return given
    if not given and listening():
        return MACHINE
    return start_throwaway()
