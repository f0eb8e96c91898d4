"""Where file bytes live, named by their content hash: a folder under the data directory, or an S3-compatible bucket."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

KEY = re.compile(r"^[0-9a-f]{64}$")


class FileStore(Protocol):
    """Bytes by key (a SHA-256 in hex): the same key always names the same bytes, so a write may be repeated."""

    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

    async def keys(self) -> list[tuple[str, datetime]]:
        """Every key held, with when it was written (the pruning compares them with the rows)."""
        ...


def _checked(key: str) -> str:
    if not KEY.match(key):
        raise ValueError("a file key is a SHA-256 in hex")
    return key


class LocalStore:
    """Files under a folder, `ab/cd/abcd…`: written to a temporary name then renamed, so a reader never sees half a file."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        key = _checked(key)
        return self.root / key[:2] / key[2:4] / key

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).exists)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, True)

    async def keys(self) -> list[tuple[str, datetime]]:
        return await asyncio.to_thread(self._keys)

    def _keys(self) -> list[tuple[str, datetime]]:
        if not self.root.exists():
            return []
        return [(path.name, datetime.fromtimestamp(path.stat().st_mtime, timezone.utc))
                for path in self.root.glob("??/??/*") if KEY.match(path.name) and path.is_file()]


class S3Store:
    """An S3-compatible bucket (`s3://bucket/prefix`), for several processes on several machines; obstore's client."""

    def __init__(self, url: str, endpoint: str = "", region: str = "", key_id: str = "", secret: str = ""):
        from obstore.store import S3Store as Client

        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError("the file store URL is s3://bucket/prefix")
        config: dict = {"region": region or "us-east-1"}
        if endpoint:
            config["endpoint"] = endpoint
        if key_id:
            config["access_key_id"] = key_id
            config["secret_access_key"] = secret
        self.client = Client(parts.netloc, prefix=parts.path.strip("/") or None, config=config,  # type: ignore[arg-type]
                             client_options={"allow_http": endpoint.startswith("http://")})

    @staticmethod
    def _name(key: str) -> str:
        key = _checked(key)
        return f"{key[:2]}/{key}"

    async def put(self, key: str, data: bytes) -> None:
        import obstore

        await obstore.put_async(self.client, self._name(key), data)

    async def get(self, key: str) -> bytes:
        import obstore

        result = await obstore.get_async(self.client, self._name(key))
        return bytes(await result.bytes_async())

    async def exists(self, key: str) -> bool:
        import obstore

        try:
            await obstore.head_async(self.client, self._name(key))
        except FileNotFoundError:
            return False
        return True

    async def delete(self, key: str) -> None:
        import obstore

        try:
            await obstore.delete_async(self.client, self._name(key))
        except FileNotFoundError:
            pass

    async def keys(self) -> list[tuple[str, datetime]]:
        import obstore

        out = []
        async for batch in obstore.list(self.client, chunk_size=1000):
            for meta in batch:
                name = str(meta["path"]).rsplit("/", 1)[-1]
                if KEY.match(name):
                    out.append((name, meta["last_modified"]))
        return out


def open_store(url: str, data_dir: Path, endpoint: str = "", region: str = "", key_id: str = "", secret: str = "") -> FileStore:
    """The store the settings name: `s3://…`, or (empty) the folder `files-store` under the data directory."""
    if url.startswith("s3://"):
        return S3Store(url, endpoint, region, key_id, secret)
    if url:
        raise ValueError("RELAIS_FILES_URL is empty (the data directory) or s3://bucket/prefix")
    return LocalStore(Path(data_dir) / "files-store")
