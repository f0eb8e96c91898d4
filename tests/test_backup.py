"""`relais backup` and `relais restore` as operators run them: a running instance backed up (SQLite through the online
backup API, PostgreSQL through pg_dump) and restored into another data directory and database, every table compared;
a target that is not empty refused unless --force; damaged or foreign archives refused in one line."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tarfile
import time
from pathlib import Path

import asyncpg
import pytest

from bot.db import MIGRATIONS
from tests.conftest import PG_SERVER
from tests.test_cli import query, relais, start_service

KEY = "0123456789abcdef0123456789abcdef"
# The last migration: a backup names the one its database is at.
LAST = max((p.name for p in MIGRATIONS.joinpath("models").glob("[0-9]*_*.py")), key=lambda name: int(name.split("_")[0]))
# Rewritten by the service itself while it runs (its heartbeat, its roles), and cleared by a restore.
HEARTBEAT = {"relais_process", "process_role"}


def sqlite_rows(path: Path) -> dict[str, list]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}


def stop(service: subprocess.Popen) -> None:
    service.send_signal(signal.SIGTERM)
    try:
        service.communicate(timeout=30)
    finally:
        service.kill()
    assert service.returncode == 0


def wait_delivered(count_pending, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (left := count_pending()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"{left} notifications still undelivered after {timeout} s"
    assert not count_pending(), "the service did not deliver the outbox"


def data_files(folder: Path) -> dict[str, object]:
    """The files store's bytes; the Matrix store's SQLite files by their content (a copy made by SQLite's backup API
    has a header of its own)."""
    found: dict[str, object] = {}
    for name in ("files", "files-store", "matrix-store"):
        for path in sorted((folder / name).rglob("*")):
            if path.is_file() and path.suffix == ".db":
                with sqlite3.connect(path) as conn:
                    found[path.relative_to(folder).as_posix()] = list(conn.iterdump())
            elif path.is_file():
                found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


def seed_data_files(folder: Path) -> None:
    (folder / "files" / "console-me").mkdir(parents=True)
    (folder / "files" / "console-me" / "plan.pdf").write_bytes(b"%PDF-1.4 a plan of the brewery\n")
    (folder / "files-store" / "ab" / "cd").mkdir(parents=True)  # a stored photo, by its content hash
    (folder / "files-store" / "ab" / "cd" / ("abcd" + "0" * 60)).write_bytes(b"\xff\xd8\xff a photo")
    (folder / "matrix-store").mkdir()
    with sqlite3.connect(folder / "matrix-store" / "@relais_example.org_DEVICE.db") as store:  # nio's store is SQLite
        store.execute("CREATE TABLE keys (session TEXT, pickle BLOB)")
        store.execute("INSERT INTO keys VALUES ('s1', x'00ff10')")


def assert_one_line_refusal(done: subprocess.CompletedProcess, words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.startswith("relais: ")]
    assert len(lines) == 1 and words in lines[0], done.stderr


def test_a_running_sqlite_instance_backed_up_and_restored_elsewhere_has_every_row_and_file(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    assert relais(src, "demo").returncode == 0
    seed_data_files(src)
    service = start_service(src, RELAIS_SECRET_KEY=KEY)
    try:
        # Written while the service runs: a news item and its notifications, delivered by the service.
        posted = relais(src, "console", "--as", "camille", stdin="nouvelle dombes-brasserie Le brassin n°3 est en cuve\n",
                        RELAIS_SECRET_KEY=KEY)
        assert "Nouvelle publiée" in posted.stdout, posted.stderr
        wait_delivered(lambda: query(src, "select count(*) from outbox_message where status != 'sent'")[0][0])
        archive = tmp_path / "saved" / "relais.tar.gz"
        made = relais(src, "backup", "--out", str(archive), RELAIS_SECRET_KEY=KEY)
        assert made.returncode == 0, made.stderr
    finally:
        stop(service)
    assert f"backup: {archive}" in made.stdout and f"database: sqlite, migration {LAST}" in made.stdout
    assert "files: matrix-store/ (1 file), files-store/ (1 file), files/ (1 file)" in made.stdout
    assert "RELAIS_SECRET_KEY is set: it is NOT in the archive" in made.stdout
    assert KEY not in made.stdout + made.stderr
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        assert KEY.encode() not in b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())  # type: ignore[union-attr]
    assert manifest["database"] == "sqlite" and manifest["relais"] and manifest["created_at"]
    assert manifest["migration"] == manifest["migrations"][-1] and manifest["migration"] == LAST
    assert manifest["tables"]["news_item"] == query(src, "select count(*) from news_item")[0][0] > 0

    restored = relais(dst, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert f"database: {dst / 'relais.sqlite3'}" in restored.stdout and "as in the archive" in restored.stdout
    assert "warning: the backed-up instance had RELAIS_SECRET_KEY set" in restored.stdout
    before, after = sqlite_rows(src / "relais.sqlite3"), sqlite_rows(dst / "relais.sqlite3")
    assert sorted(before) == sorted(after)
    for table in before:
        if table in HEARTBEAT:  # the backed-up processes are not the restored instance's
            assert after[table] == []
        else:
            assert after[table] == before[table], table
    assert after["adapter_state"] and any(row[0] == "mail:secret_key" for row in after["adapter_state"])
    assert data_files(dst) == data_files(src)
    # The restored instance is up to date and answers with the data of the running one.
    assert relais(dst, "migrate", "--check").stdout.strip() == "up to date"
    chat = relais(dst, "console", "--as", "me", stdin="projet dombes-brasserie\n", RELAIS_SECRET_KEY=KEY)
    assert "Le brassin n°3 est en cuve" in chat.stdout


def test_a_restore_refuses_a_target_that_is_not_empty_unless_forced(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    assert relais(src, "demo").returncode == 0
    archive = tmp_path / "a.tar.gz"
    assert relais(src, "backup", "--out", str(archive)).returncode == 0
    again = relais(src, "backup", "--out", str(archive))
    assert_one_line_refusal(again, "already exists")
    # A database migrated by a first start, with nothing in it, is empty.
    assert relais(dst, "migrate").returncode == 0
    assert relais(dst, "restore", str(archive)).returncode == 0
    assert relais(dst, "community", "create", "jardin", "Jardin partagé").returncode == 0
    refused = relais(dst, "restore", str(archive))
    assert_one_line_refusal(refused, "holds data")
    assert "--force" in refused.stderr
    assert query(dst, "select count(*) from community where slug = 'jardin'") == [(1,)]
    (dst / "files").mkdir()
    (dst / "files" / "kept.txt").write_text("kept")
    forced = relais(dst, "restore", str(archive), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "set aside as" in forced.stdout
    assert query(dst, "select count(*) from community where slug = 'jardin'") == [(0,)]
    # What was there is set aside, never deleted (the empty database of the first restore, then the one with « jardin »).
    aside = sorted(p for p in dst.iterdir() if p.name.startswith("relais.sqlite3.before-restore-"))
    assert len(aside) == 2
    with sqlite3.connect(aside[-1]) as old:
        assert old.execute("select count(*) from community where slug = 'jardin'").fetchone() == (1,)
    # No data dir files in the archive: the target's own files stay where they were.
    assert (dst / "files" / "kept.txt").read_text() == "kept"
    # A service running on the target: no restore under it, forced or not.
    service = start_service(dst)
    try:
        assert_one_line_refusal(relais(dst, "restore", str(archive), "--force"), "stop it before restoring")
    finally:
        stop(service)


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_damaged_or_foreign_archives_are_refused_in_one_line(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    assert relais(src, "demo").returncode == 0
    good = tmp_path / "good.tar.gz"
    assert relais(src, "backup", "--out", str(good)).returncode == 0
    with tarfile.open(good) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        database = tar.extractfile("database.sqlite3").read()  # type: ignore[union-attr]

    def with_manifest(**change) -> bytes:
        return json.dumps(manifest | change).encode()

    bad = {
        "random.tar.gz": (os.urandom(4096), "not a tar.gz archive"),
        "plain.txt": (b"hello\n", "not a tar.gz archive"),
        "truncated.tar.gz": (good.read_bytes()[: good.stat().st_size // 2], "damaged"),
        "foreign.tar.gz": (tar_gz({"photos/cat.jpg": b"\xff\xd8\xff"}), "no manifest.json"),
        "garbled.tar.gz": (tar_gz({"manifest.json": b"{not json", "database.sqlite3": database}), "not readable"),
        "newer.tar.gz": (tar_gz({"manifest.json": with_manifest(migration="99_future.py"), "database.sqlite3": database}),
                         "comes from a newer Relais (migration 99_future.py"),
        "escape.tar.gz": (tar_gz({"manifest.json": with_manifest(), "database.sqlite3": database, "data/files/../../evil": b"x"}),
                          "unexpected member"),
        "other-kind.tar.gz": (tar_gz({"manifest.json": with_manifest(database="postgres"), "database.sql": b"SELECT 1;\n"}),
                              "holds a postgres database and the configured database is sqlite"),
        "wrong-db.tar.gz": (tar_gz({"manifest.json": with_manifest(), "database.sqlite3": b"SQLite format 3\x00" + b"\x00" * 200}),
                            "damaged"),
        "not-gzip.tar.gz": (gzip.compress(b"just some text"), "not a tar.gz archive"),
    }
    for name, (data, words) in bad.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert_one_line_refusal(relais(dst, "restore", str(path)), words)
        assert not (dst / "relais.sqlite3").exists() and not (dst.parent / "evil").exists(), name
    assert_one_line_refusal(relais(dst, "restore", str(tmp_path / "missing.tar.gz")), "no such archive")
    assert relais(dst, "restore", str(good)).returncode == 0  # and the good one still comes back


def test_backup_of_postgresql_refused_without_pg_dump(tmp_path):
    url = f"{PG_SERVER}?schema=relais_nodump{os.getpid()}"
    done = relais(tmp_path, "backup", "--out", str(tmp_path / "b.tar.gz"), RELAIS_DATABASE_URL=url, PATH="/nonexistent")
    assert_one_line_refusal(done, "pg_dump is not on PATH")
    assert not (tmp_path / "b.tar.gz").exists()


async def pg_rows(schema: str) -> dict[str, list]:
    conn = await asyncpg.connect(PG_SERVER)
    try:
        names = [r[0] for r in await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 "
                                                "AND table_type = 'BASE TABLE'", schema)]
        return {name: sorted((tuple(r.values()) for r in await conn.fetch(f'SELECT * FROM "{schema}"."{name}"')), key=repr)
                for name in names}
    finally:
        await conn.close()


async def drop_schemas(*schemas: str) -> None:
    conn = await asyncpg.connect(PG_SERVER)
    try:
        for schema in schemas:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def test_a_running_postgresql_instance_backed_up_with_pg_dump_and_restored_into_another_schema(tmp_path):
    if shutil.which("pg_dump") is None or shutil.which("psql") is None:
        pytest.skip("pg_dump and psql are not on PATH: PostgreSQL's backup cannot be tried here")
    a, b = f"relais_bk{os.getpid()}a", f"relais_bk{os.getpid()}b"
    await drop_schemas(a, b)
    conn = await asyncpg.connect(PG_SERVER)
    await conn.execute(f'CREATE SCHEMA "{a}"; CREATE SCHEMA "{b}"')
    await conn.close()
    src_url, dst_url = f"{PG_SERVER}?schema={a}", f"{PG_SERVER}?schema={b}"
    src, dst = tmp_path / "src", tmp_path / "dst"
    try:
        assert relais(src, "demo", RELAIS_DATABASE_URL=src_url).returncode == 0
        seed_data_files(src)
        service = start_service(src, RELAIS_DATABASE_URL=src_url)
        try:
            posted = relais(src, "console", "--as", "camille", stdin="nouvelle dombes-brasserie Le brassin n°4 est en cuve\n",
                            RELAIS_DATABASE_URL=src_url)
            assert "Nouvelle publiée" in posted.stdout, posted.stderr

            async def pending() -> int:
                conn = await asyncpg.connect(PG_SERVER)
                try:
                    return await conn.fetchval(f"SELECT count(*) FROM \"{a}\".outbox_message WHERE status != 'sent'")
                finally:
                    await conn.close()

            deadline = time.monotonic() + 30
            while (left := await pending()) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert not left, f"{left} notifications still undelivered after 30 s"
            archive = tmp_path / "pg.tar.gz"
            made = relais(src, "backup", "--out", str(archive), RELAIS_DATABASE_URL=src_url)
            assert made.returncode == 0, made.stderr
            assert f"database: postgres, migration {LAST}" in made.stdout
        finally:
            stop(service)
        with tarfile.open(archive) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        assert manifest["database"] == "postgres" and manifest["schema"] == a

        restored = relais(dst, "restore", str(archive), RELAIS_DATABASE_URL=dst_url)
        assert restored.returncode == 0, restored.stderr
        assert f"(schema {b})" in restored.stdout
        before, after = await pg_rows(a), await pg_rows(b)
        assert sorted(before) == sorted(after) and "news_item" in after
        for table in before:
            if table in HEARTBEAT:
                assert after[table] == []
            else:
                assert after[table] == before[table], table
        assert data_files(dst) == data_files(src)
        # The sequences came along: the restored database takes new rows; the source schema was not touched.
        assert relais(dst, "community", "create", "jardin", "Jardin", RELAIS_DATABASE_URL=dst_url).returncode == 0
        chat = relais(dst, "console", "--as", "me", stdin="projet dombes-brasserie\n", RELAIS_DATABASE_URL=dst_url)
        assert "Le brassin n°4 est en cuve" in chat.stdout
        assert (await pg_rows(a))["community"] == before["community"]
        refused = relais(dst, "restore", str(archive), RELAIS_DATABASE_URL=dst_url)
        assert_one_line_refusal(refused, "holds data")
        forced = relais(dst, "restore", str(archive), "--force", RELAIS_DATABASE_URL=dst_url)
        assert forced.returncode == 0, forced.stderr
        assert [r for r in (await pg_rows(b))["community"] if "jardin" in r] == []
    finally:
        await drop_schemas(a, b)
