"""`relais backup` and `relais restore`: one archive (tar.gz) with the database, the data directory's files that matter
(the Matrix crypto store, the files store) and a small JSON manifest; made while the service runs, brought back into an
empty database.

The copy is consistent: on SQLite through the online backup API (a snapshot of the whole file, the service writing on);
on PostgreSQL `pg_dump` in one snapshot, exported by a transaction that also counts the rows for the manifest. The
instance's generated secret (`mail:secret_key` in `adapter_state`) is in the database, so in the archive; a configured
RELAIS_SECRET_KEY is not, and the output says so.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.sql"
DATA_DIRS = ("matrix-store", "files-store", "files")  # under RELAIS_DATA_DIR: what a restore needs besides the database
# Rows that do not make a database "not empty": migrations applied, processes' heartbeats and leases, the adapters'
# small values (the generated secret of a first start), SQLite's own counters and the search index's inner tables.
BOOKKEEPING = {"aerich", "relais_process", "process_role", "adapter_state", "sqlite_sequence"}
SQLITE_HEADER = b"SQLite format 3\x00"
# The backed-up processes' heartbeats and leases say nothing of the restored instance's: cleared, with their inbox claims.
HEARTBEAT = ("process_role", "relais_process")
CLEAR_HEARTBEAT = ('DELETE FROM {s}"process_role";', 'DELETE FROM {s}"relais_process";',
                   'UPDATE {s}"inbound_event" SET "claimed_until" = NULL, "claimed_by" = NULL WHERE "claimed_by" IS NOT NULL;')
SECRET_STATE_KEY = "mail:secret_key"  # mail.tokens' key of the secret generated when RELAIS_SECRET_KEY is not set


class Refused(Exception):
    """A backup or restore that cannot be done: one line for the operator, exit code 2."""


def add_parser(sub) -> None:
    b = sub.add_parser("backup", help="write a consistent archive of the database and the data files, while the service runs")
    b.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="the archive to write (default: DATA_DIR/backups/relais-<date>.tar.gz)")
    r = sub.add_parser("restore", help="bring a `relais backup` archive back into an empty database and data directory")
    r.add_argument("file", type=Path, help="the archive written by `relais backup`")
    r.add_argument("--force", action="store_true",
                   help="restore even into a database or data files that are not empty (what was there is set aside or dropped)")


async def run(app, args) -> int:
    """Called before the app connects: a backup must not migrate the database it copies, a restore needs it untouched."""
    import logging

    log = logging.getLogger("relais.backup")
    try:
        if args.cmd == "backup":
            lines = await backup(app.database_url, app.settings.core.data_dir, args.out, _configured_secret(app))
        else:
            lines = await restore(app.database_url, app.settings.core.data_dir, args.file, args.force, _configured_secret(app),
                                  app.settings.core.failover_s)
    except Refused as exc:
        print(f"relais: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # disk full, permission denied, the database server out of reach
        reason = f"{exc.strerror or type(exc).__name__}" + (f": {exc.filename}" if exc.filename else "")
        log.warning("%s failed", args.cmd, extra={"reason": reason})  # a file name or a reason, never a URL or a secret
        print(f"relais: {args.cmd} failed: {reason}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def _configured_secret(app) -> str:
    return app.settings.core.secret_key.get_secret_value()


# ---------------------------------------------------------------------------------------------------------------- backup


async def backup(url: str, data_dir: Path, out: Path | None, secret: str) -> list[str]:
    import tarfile
    import tempfile

    now = datetime.now(timezone.utc)
    kind = _kind(url)
    if out is None:
        out = data_dir / "backups" / f"relais-{now:%Y%m%d-%H%M%S}.tar.gz"
    out = out.resolve()
    if out.exists():
        raise Refused(f"{out} already exists: give another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".relais-backup-", dir=out.parent) as work:
        folder = Path(work)
        if kind == "sqlite":
            member, (tables, applied, stored) = SQLITE_MEMBER, _sqlite_copy(_sqlite_path(url), folder / SQLITE_MEMBER)
        else:
            member, (tables, applied, stored) = POSTGRES_MEMBER, await _pg_dump(url, folder / POSTGRES_MEMBER)
        files = _data_files(data_dir, folder / "data")
        manifest = {
            "format": FORMAT,
            "relais": _version(),
            "database": kind,
            "schema": _pg_target(url)[1] if kind == "postgres" else None,
            "migration": _last(applied),
            "migrations": sorted(applied, key=_number),
            "created_at": now.isoformat(timespec="seconds"),
            "tables": tables,
            "files": {name: len(paths) for name, paths in files.items()},
            "secret_key_configured": bool(secret),
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        partial = folder / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(folder / MANIFEST, arcname=MANIFEST)
            tar.add(folder / member, arcname=member)
            for paths in files.values():
                for path in paths:
                    tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
        os.chmod(partial, 0o600)  # the members' messages and the instance's secret: for the operator only
        os.replace(partial, out)
    import logging

    logging.getLogger("relais.backup").info("backup written", extra={"archive": str(out), "database": kind,
                                                                     "migration": manifest["migration"]})
    rows = sum(tables.values())
    lines = [f"backup: {out} ({_size(out.stat().st_size)})",
             f"database: {kind}, migration {manifest['migration']}, {len(tables)} tables, {rows} rows",
             "files: " + (", ".join(f"{name}/ ({_count(len(paths), 'file')})" for name, paths in files.items())
                          or "none (no matrix-store/, files-store/ or files/ in the data directory)")]
    if stored:
        lines.append(f"the instance's generated secret ({SECRET_STATE_KEY}) is in the archive, with the database: keep the archive private")
    else:
        lines.append("the archive holds the community's data: keep it private")
    if secret:
        lines.append("RELAIS_SECRET_KEY is set: it is NOT in the archive. Keep it apart (a password manager, not beside the archive); "
                      "a restore needs the same key for the signed links, secret polls and the Matrix keys' copy")
    return lines


def _sqlite_copy(source: Path, target: Path) -> tuple[dict[str, int], list[str], bool]:
    """SQLite's online backup: a consistent snapshot while the service writes (WAL readers do not block it)."""
    import sqlite3

    if not source.is_file():
        raise Refused(f"no database at {source}: nothing to back up")
    with open(source, "rb") as f:
        header = f.read(16)
    if header != SQLITE_HEADER:
        raise Refused(f"{source} is not a SQLite database")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one file, with no -wal beside it
        tables, applied = _sqlite_census(dst)
        stored = bool(tables.get("adapter_state")) and dst.execute("SELECT count(*) FROM adapter_state WHERE key = ?",
                                                                  (SECRET_STATE_KEY,)).fetchone()[0] > 0
    finally:
        dst.close()
        src.close()
    return tables, applied, stored


def _sqlite_census(conn) -> tuple[dict[str, int], list[str]]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    tables = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    applied = [r[0] for r in conn.execute("SELECT version FROM aerich WHERE app = 'models'")] if "aerich" in tables else []
    return tables, applied


def _data_files(data_dir: Path, into: Path) -> dict[str, list[Path]]:
    """The data directory's folders that matter, copied under `into`: SQLite files (the Matrix crypto store, written
    by the running service) through the backup API, the others as they are. Links are not followed."""
    import sqlite3

    found: dict[str, list[Path]] = {}
    for name in DATA_DIRS:
        top = data_dir / name
        if not top.is_dir() or top.is_symlink():
            continue
        copied: list[Path] = []
        sqlite_files = set()
        for path in sorted(p for p in top.rglob("*") if p.is_file() and not p.is_symlink()):
            with open(path, "rb") as f:
                if f.read(16) == SQLITE_HEADER:
                    sqlite_files.add(path)
        for path in sorted(p for p in top.rglob("*") if p.is_file() and not p.is_symlink()):
            if any(Path(str(path)[: -len(s)]) in sqlite_files for s in ("-wal", "-shm", "-journal") if str(path).endswith(s)):
                continue  # in the copy made by the backup API
            target = into / name / path.relative_to(top)
            target.parent.mkdir(parents=True, exist_ok=True)
            if path in sqlite_files:
                src, dst = sqlite3.connect(path, timeout=30), sqlite3.connect(target)
                try:
                    src.backup(dst)
                finally:
                    dst.close()
                    src.close()
            else:
                shutil.copyfile(path, target)
            os.chmod(target, path.stat().st_mode & 0o777)
            copied.append(target)
        found[name] = copied
    return found


async def _pg_dump(url: str, target: Path) -> tuple[dict[str, int], list[str], bool]:
    import asyncpg

    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise Refused("pg_dump is not on PATH: install PostgreSQL's client tools (the version of the server or newer) to back up a "
                      "PostgreSQL database, or use the server's own backups")
    dsn, schema, env = _pg_target(url)
    conn = await asyncpg.connect(dsn)
    try:
        # One snapshot for the dump and the manifest's counts, exported by a transaction that stays open meanwhile.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            tables, applied = await _pg_census(conn, schema)
            if not tables:
                raise Refused(f"the schema {schema} of the configured database has no table: nothing to back up")
            stored = bool(tables.get("adapter_state")) and await conn.fetchval(
                f"SELECT count(*) FROM {_ident(schema)}.adapter_state WHERE key = $1", SECRET_STATE_KEY) > 0
            proc = await asyncio.create_subprocess_exec(
                pg_dump, "--format=plain", "--no-owner", "--no-privileges", f"--schema={schema}", f"--snapshot={snapshot}",
                f"--file={target}", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            _, err = await proc.communicate()
            if proc.returncode != 0:
                raise Refused("pg_dump failed: " + _first_line(err))
    finally:
        await conn.close()
    return tables, applied, stored


async def _pg_census(conn, schema: str) -> tuple[dict[str, int], list[str]]:
    names = [r[0] for r in await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 "
                                            "AND table_type = 'BASE TABLE' ORDER BY table_name", schema)]
    tables = {name: await conn.fetchval(f"SELECT count(*) FROM {_ident(schema)}.{_ident(name)}") for name in names}
    applied = []
    if "aerich" in tables:
        applied = [r[0] for r in await conn.fetch(f"SELECT version FROM {_ident(schema)}.aerich WHERE app = 'models'")]
    return tables, applied


# --------------------------------------------------------------------------------------------------------------- restore


async def restore(url: str, data_dir: Path, archive: Path, force: bool, secret: str, failover: float) -> list[str]:
    import tarfile

    kind = _kind(url)
    if not archive.is_file():
        raise Refused(f"no such archive: {archive}")
    try:
        tar = tarfile.open(archive, "r:gz")
    except (tarfile.TarError, EOFError, OSError, ValueError):
        raise Refused(f"{archive} is not a Relais backup (not a tar.gz archive)") from None
    with tar:
        try:
            members = tar.getmembers()
            manifest = _manifest(tar, members, archive)
            _check_members(members, manifest, archive)
            database = _member(tar, SQLITE_MEMBER if manifest["database"] == "sqlite" else POSTGRES_MEMBER)
        except (tarfile.TarError, EOFError, ValueError, OSError) as exc:  # a truncated or damaged archive
            raise Refused(f"{archive} is damaged ({type(exc).__name__}): not restored") from None
        if manifest["database"] != kind:
            raise Refused(f"{archive} holds a {manifest['database']} database and the configured database is {kind}: "
                          "restore it with the same kind of database")
        known = _known_migrations()
        if _number(manifest["migration"]) > _number(known[-1]) or manifest["migration"] not in known:
            raise Refused(f"{archive} comes from a newer Relais (migration {manifest['migration']}; this one knows up to {known[-1]}): "
                          "upgrade Relais first, then restore")
        busy = [name for name in DATA_DIRS if _has_files(data_dir / name)]
        if kind == "sqlite":
            target = _sqlite_path(url)
            done = _sqlite_restore(target, database, manifest, data_dir, busy, force, tar, members, archive)
        else:
            done = await _pg_restore(url, database, manifest, data_dir, busy, force, failover, tar, members, archive)
    pending = [m for m in known if m not in manifest["migrations"]]
    import logging

    logging.getLogger("relais.backup").info("backup restored", extra={"archive": str(archive), "database": kind,
                                                                      "migration": manifest["migration"]})
    rows = sum(manifest["tables"].values())
    lines = [f"restored {archive} (made {manifest['created_at']} by Relais {manifest['relais']}, migration {manifest['migration']})",
             *done,
             f"database: {len(manifest['tables'])} tables, {rows} rows, as in the archive"
             + (" (the backed-up processes' heartbeats and leases cleared)" if "relais_process" in manifest["tables"] else "")]
    if pending:
        lines.append(f"{len(pending)} newer migrations to apply ({', '.join(pending)}): `relais run` applies them at its start, "
                     "or `relais migrate` now")
    if manifest.get("secret_key_configured") and not secret:
        lines.append("warning: the backed-up instance had RELAIS_SECRET_KEY set, and none is set here: set the same key before "
                     "starting (signed links, secret polls and the Matrix keys' copy depend on it)")
    return lines


def _manifest(tar, members, archive: Path) -> dict:
    import tarfile

    if not any(m.name == MANIFEST and m.isfile() for m in members):
        raise Refused(f"{archive} is not a Relais backup (no {MANIFEST})")
    try:
        manifest = json.loads(_member(tar, MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, tarfile.TarError):
        raise Refused(f"{archive} is not a Relais backup (its {MANIFEST} is not readable)") from None
    wanted = {"format": int, "database": str, "migration": str, "migrations": list, "tables": dict, "created_at": str}
    if not isinstance(manifest, dict) or any(not isinstance(manifest.get(k), t) for k, t in wanted.items()):
        raise Refused(f"{archive} is not a Relais backup (its {MANIFEST} lacks what a restore needs)")
    if manifest["format"] > FORMAT:
        raise Refused(f"{archive} was written in a newer backup format ({manifest['format']}): upgrade Relais first")
    if manifest["database"] not in ("sqlite", "postgres") or not re.fullmatch(r"\d+_\w+\.py", manifest["migration"]):
        raise Refused(f"{archive} is not a Relais backup (its {MANIFEST} names no known database or migration)")
    manifest.setdefault("relais", "unknown")
    return manifest


def _check_members(members, manifest: dict, archive: Path) -> None:
    """Only what `relais backup` writes, and nothing that lands outside the data directory."""
    database = SQLITE_MEMBER if manifest["database"] == "sqlite" else POSTGRES_MEMBER
    if not any(m.name == database and m.isfile() for m in members):
        raise Refused(f"{archive} is not a Relais backup (no {database})")
    for m in members:
        if m.name in (MANIFEST, database):
            continue
        parts = Path(m.name).parts
        if (len(parts) < 2 or parts[0] != "data" or parts[1] not in DATA_DIRS or ".." in parts or m.name.startswith("/")
                or not (m.isfile() or m.isdir())):
            raise Refused(f"{archive} is not a Relais backup (unexpected member {m.name!r})")


def _member(tar, name: str) -> bytes:
    f = tar.extractfile(name)
    if f is None:
        raise ValueError(name)
    return f.read()


def _sqlite_restore(target: Path, database: bytes, manifest: dict, data_dir: Path, busy: list[str], force: bool, tar, members,
                    archive: Path) -> list[str]:
    import sqlite3
    import tempfile

    from bot.runtime.processes import AlreadyRunning, ServiceLock

    target.parent.mkdir(parents=True, exist_ok=True)
    lock = ServiceLock(Path(f"{target}.lock"))
    try:
        lock.acquire()  # no service writes to the file while it is replaced
    except AlreadyRunning:
        raise Refused(f"a Relais service runs on {target}: stop it before restoring") from None
    try:
        held = _sqlite_rows(target)
        _refuse_unless_forced(held, busy, force, target)
        with tempfile.NamedTemporaryFile(prefix=".relais-restore-", dir=target.parent, delete=False) as f:
            f.write(database)
            staged = Path(f.name)
        try:
            conn = sqlite3.connect(staged)
            try:
                ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                tables, _ = _sqlite_census(conn) if ok else ({}, [])
            except sqlite3.DatabaseError:
                ok, tables = False, {}
            finally:
                conn.close()
            if not ok or tables != manifest["tables"]:
                raise Refused(f"{archive} is damaged (its database does not match its manifest): not restored")
            if "relais_process" in tables:
                conn = sqlite3.connect(staged)
                try:
                    conn.executescript("\n".join(c.format(s="") for c in CLEAR_HEARTBEAT))
                finally:
                    conn.close()
            aside = _set_aside(target, [Path(f"{target}{s}") for s in ("", "-wal", "-shm")])
            os.replace(staged, target)
        finally:
            staged.unlink(missing_ok=True)
        done = [f"database: {target}" + (f" (what was there is set aside as {aside})" if aside else "")]
        return done + _restore_files(data_dir, busy, tar, members)
    finally:
        lock.release()


def _sqlite_rows(target: Path) -> dict[str, int]:
    """The rows of each non-bookkeeping table of the target (none when there is no file yet)."""
    import sqlite3

    if not target.exists() or target.stat().st_size == 0:
        return {}
    try:
        conn = sqlite3.connect(target, timeout=30)
        try:
            tables, _ = _sqlite_census(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        raise Refused(f"{target} is not a readable SQLite database: move it away, or restore elsewhere") from None
    return {name: n for name, n in tables.items() if n and not _bookkeeping(name)}


def _but_heartbeat(tables: dict[str, int]) -> dict[str, int]:
    return {name: n for name, n in tables.items() if name not in HEARTBEAT}


def _bookkeeping(table: str) -> bool:
    return table in BOOKKEEPING or table.startswith("search_fts")


def _refuse_unless_forced(held: dict[str, int], busy: list[str], force: bool, where: str | Path) -> None:
    if force or (not held and not busy):
        return
    what = []
    if held:
        what.append(f"the database {where} holds data ({sum(held.values())} rows in {len(held)} tables)")
    if busy:
        what.append("the data directory has " + " and ".join(f"{name}/" for name in busy))
    raise Refused("; ".join(what) + ": restore into an empty database, or add --force to replace it")


def _set_aside(target: Path, paths: list[Path]) -> str:
    """Files moved beside themselves with a dated suffix, never deleted; returns the first new name ('' when none)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    first = ""
    for path in paths:
        if path.exists():
            moved = path.with_name(f"{path.name}.before-restore-{stamp}")
            n = 1
            while moved.exists():  # two restores in one second: the first one set aside stays
                n += 1
                moved = path.with_name(f"{path.name}.before-restore-{stamp}-{n}")
            os.replace(path, moved)
            first = first or str(moved)
    return first


def _restore_files(data_dir: Path, busy: list[str], tar, members) -> list[str]:
    done = []
    present = sorted({Path(m.name).parts[1] for m in members if m.name.startswith("data/")})
    for name in present:
        top = data_dir / name
        aside = _set_aside(top, [top]) if name in busy else ""
        count = 0
        for m in members:
            parts = Path(m.name).parts
            if len(parts) < 3 or parts[:2] != ("data", name):
                continue
            dest = top.joinpath(*parts[2:])
            if m.isdir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(_member(tar, m.name))
            os.chmod(dest, m.mode & 0o777 or 0o600)
            count += 1
        done.append(f"files: {top}/ ({_count(count, 'file')})" + (f"; what was there is set aside as {aside}" if aside else ""))
    return done


async def _pg_restore(url: str, database: bytes, manifest: dict, data_dir: Path, busy: list[str], force: bool, failover: float,
                      tar, members, archive: Path) -> list[str]:
    import asyncpg

    psql = shutil.which("psql")
    if psql is None:
        raise Refused("psql is not on PATH: install PostgreSQL's client tools to restore a PostgreSQL backup")
    dsn, schema, env = _pg_target(url)
    where = f"{env.get('PGDATABASE', '')} (schema {schema}) on {env.get('PGHOST', 'localhost')}:{env.get('PGPORT', '5432')}"
    conn = await asyncpg.connect(dsn)
    try:
        tables, _ = await _pg_census(conn, schema)
        if "relais_process" in tables:
            alive = await conn.fetchval(f"SELECT count(*) FROM {_ident(schema)}.relais_process "
                                        f"WHERE seen_at > clock_timestamp() - make_interval(secs => $1)", failover)
            if alive:
                raise Refused(f"{alive} Relais processes run on {where}: stop them before restoring")
        held = {name: n for name, n in tables.items() if n and not _bookkeeping(name)}
        _refuse_unless_forced(held, busy, force, where)
        # One transaction: the tables there (an empty schema of a first start, or --force) go, the archive's come; a
        # script that fails midway leaves the database as it was.
        script = f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)};\n"
        if tables:
            script += "DROP TABLE " + ", ".join(f"{_ident(schema)}.{_ident(t)}" for t in tables) + " CASCADE;\n"
        try:
            dump = database.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(f"{archive} is damaged (its database is not a pg_dump script): not restored") from None
        script += _retarget(dump, manifest.get("schema") or "public", schema)
        if "relais_process" in manifest["tables"]:
            script += "\n" + "\n".join(c.format(s=_ident(schema) + ".") for c in CLEAR_HEARTBEAT) + "\n"
        proc = await asyncio.create_subprocess_exec(psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-",
                                                    env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.PIPE)
        _, err = await proc.communicate(script.encode("utf-8"))
        if proc.returncode != 0:
            raise Refused("psql could not load the archive's database: " + _first_line(err))
        restored, _ = await _pg_census(conn, schema)
        if _but_heartbeat(restored) != _but_heartbeat(manifest["tables"]):
            raise Refused(f"the restored database of {where} does not match the archive's manifest: check it before use")
    finally:
        await conn.close()
    return [f"database: {where}" + (" (its tables were dropped first)" if held else "")] + _restore_files(data_dir, busy, tar, members)


def _retarget(script: str, source: str, target: str) -> str:
    """pg_dump's script for another schema: its names qualified with the target's, outside the rows' data (COPY blocks),
    and no CREATE SCHEMA (made beforehand)."""
    old, new = _ident(source), _ident(target)
    pattern = re.compile(r"(?<![\w\"$])" + re.escape(old) + r"\.")
    out, in_copy = [], False
    for line in script.splitlines(keepends=True):
        if in_copy:
            in_copy = line not in ("\\.\n", "\\.")
            out.append(line)
            continue
        if line.startswith("COPY ") and line.rstrip().endswith("FROM stdin;"):
            in_copy = True
        if re.match(r"CREATE SCHEMA |COMMENT ON SCHEMA |ALTER SCHEMA ", line):
            continue
        out.append(pattern.sub(lambda _m: new + ".", line) if old != new else line)
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------------- shared


def _kind(url: str) -> str:
    if url.startswith("sqlite://"):
        return "sqlite"
    if url.split("://")[0] in ("postgres", "postgresql", "asyncpg"):
        return "postgres"
    raise Refused(f"the database URL's kind ({url.split('://')[0]}) is not one Relais backs up")


def _sqlite_path(url: str) -> Path:
    path = url.removeprefix("sqlite://")
    if path in ("", ":memory:"):
        raise Refused("an in-memory database has nothing to back up or restore")
    return Path(path).resolve()


def _pg_target(url: str) -> tuple[str, str, dict[str, str]]:
    """A DSN for asyncpg (no secret printed anywhere), the schema, and libpq's environment for pg_dump and psql (the
    password goes in PGPASSWORD, never on a command line)."""
    parts = urlsplit(url)
    schema = (parse_qs(parts.query).get("schema") or ["public"])[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, value in (("PGHOST", parts.hostname), ("PGPORT", str(parts.port) if parts.port else None),
                       ("PGUSER", unquote(parts.username) if parts.username else None),
                       ("PGPASSWORD", unquote(parts.password) if parts.password else None),
                       ("PGDATABASE", unquote(parts.path.lstrip("/")) or None)):
        if value:
            env[key] = value
    dsn = parts._replace(scheme="postgresql", query="", fragment="").geturl()
    return dsn, schema, env


def _ident(name: str) -> str:
    """A PostgreSQL identifier as pg_dump writes it: bare when it may be, else quoted."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def _known_migrations() -> list[str]:
    from bot.db import MIGRATIONS

    return sorted((p.name for p in (MIGRATIONS / "models").glob("[0-9]*_*.py")), key=_number)


def _number(name: str) -> int:
    return int(name.split("_", 1)[0])


def _last(applied: list[str]) -> str:
    if not applied:
        raise Refused("the database has no migration applied: nothing to back up (start Relais once, or `relais migrate`)")
    return max(applied, key=_number)


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() for p in folder.rglob("*"))


def _version() -> str:
    from bot import __version__

    return __version__


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _first_line(err: bytes) -> str:
    text = err.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "no message"
