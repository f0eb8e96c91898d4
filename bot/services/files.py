"""Photos and documents: stored once by content hash, attached to news and projects, sent by each platform's upload id."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.incoming import Upload
from bot.core.replies import Attachment, Picture, Reply
from bot.services.file_kinds import (
    DOCUMENT_MAX,
    DOCUMENTS,
    IMAGES,
    PHOTO_MAX,
    PHOTOS_PER_NEWS,
    accepted,
    clean_image,
    large_buffers_returned,
)
from bot.services.file_links import FileLinks
from bot.services.file_store import FileStore
from models import FileUpload, ProjectFile, StoredFile

log = logging.getLogger("relais.files")
PRUNE_AFTER = timedelta(hours=1)  # a file stored but not attached yet (a news being posted) is left alone that long


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Thumbnail:
    """A news item's photo as a digest or a page shows it: the thumbnail's hash (its bytes from `Files.read`)."""

    news_id: int
    filename: str
    sha256: str
    thumb: str
    width: int
    height: int
    use_id: int = 0  # the photo in its news item: its public address is /c/<community>/<project>/files/<use_id>[/thumb]


class Files:
    def __init__(self, clock: Callable[[], datetime], store: FileStore | None = None):
        self.clock = clock
        self.store = store  # set by the composition root from the settings (RELAIS_FILES_URL)
        self.links = FileLinks()  # configured by the composition root when Relais serves its web endpoint
        self._locks: dict[str, asyncio.Lock] = {}
        # Images are decoded one at a time, on one thread: a burst of photos does not hold several decoded at once,
        # nor leave freed memory in one malloc arena per worker thread (peak memory stays flat).
        self._images = ThreadPoolExecutor(1, thread_name_prefix="images")
        large_buffers_returned()  # photos' decoded buffers go back to the system once freed (see there)

    def _store(self) -> FileStore:
        if self.store is None:
            raise RuntimeError("no file store configured")
        return self.store

    async def add(self, upload: Upload, photo: bool) -> StoredFile:
        """Store an upload (a photo: cleaned of its metadata, shrunk, with a thumbnail) and return its row; the same
        bytes again, or the same image sent twice, give the row already there. Refusals say the limit or the types."""
        if not upload.data:
            raise UserError(N_("“{name}” cannot be read: missing or empty."), name=(upload.filename or "?")[:80])
        limit, kinds = (PHOTO_MAX, IMAGES) if photo else (DOCUMENT_MAX, DOCUMENTS)
        mime = accepted(upload.data, upload.filename or "?", limit, kinds)
        source = sha256(upload.data)
        lock = self._locks.setdefault(source, asyncio.Lock())  # one upload decoded once, however many ask at once
        async with lock:
            try:
                known = await StoredFile.filter(source_sha256=source).first()
                if known is not None:
                    return known
                return await self._add(upload.data, mime, source)
            finally:
                self._locks.pop(source, None)

    async def _add(self, data: bytes, mime: str, source: str) -> StoredFile:
        width = height = 0
        thumb = b""
        if mime in IMAGES:
            cleaned = await asyncio.get_running_loop().run_in_executor(self._images, clean_image, data, mime)
            data, width, height, thumb = cleaned.data, cleaned.width, cleaned.height, cleaned.thumb
        key = sha256(data)
        same = await StoredFile.filter(sha256=key).first()
        if same is not None:
            return same
        store = self._store()
        await store.put(key, data)  # the bytes before the row: a row always has its bytes
        thumb_key = sha256(thumb) if thumb else ""
        if thumb:
            await store.put(thumb_key, thumb)
        try:
            row = await StoredFile.create(sha256=key, source_sha256=source, mime=mime, size=len(data), width=width, height=height,
                                          thumb_sha256=thumb_key, created_at=self.clock())
        except IntegrityError:  # another process stored the same bytes meanwhile
            return await StoredFile.get(sha256=key)
        log.info("file stored", extra={"file_id": row.id, "mime": mime, "size": len(data)})
        return row

    async def read(self, key: str) -> bytes:
        return await self._store().get(key)

    async def photos(self, uploads: tuple[Upload, ...]) -> list[tuple[StoredFile, str]]:
        """The photos of a news item as stored, with their names; more than PHOTOS_PER_NEWS is refused whole."""
        if len(uploads) > PHOTOS_PER_NEWS:
            raise UserError(N_("At most {count} photos with one news item."), count=PHOTOS_PER_NEWS)
        return [(await self.add(u, photo=True), u.filename) for u in uploads]

    async def attach_news(self, project_id: int, news_id: int, person_id: int | None, photos: list[tuple[StoredFile, str]],
                          connection=None, start: int = 0) -> list[ProjectFile]:
        """The photos as the news item's, in order after the `start` it has; returns all its rows (their ids make their
        links)."""
        await ProjectFile.bulk_create([ProjectFile(project_id=project_id, news_id=news_id, file_id=row.id, person_id=person_id,
                                                   filename=file_name(name, row), position=start + n, created_at=self.clock())
                                       for n, (row, name) in enumerate(photos)], using_db=connection)
        return await ProjectFile.filter(news_id=news_id).using_db(connection).order_by("position")

    @staticmethod
    def pictures(photos: list[tuple[StoredFile, str]], caption: str = "", urls: list[str] | None = None) -> list[Picture]:
        """The reply elements of stored photos (a notification carries their hashes, never their bytes), each with the
        link to its full size when there is one (`urls`, in the same order)."""
        links = urls or []
        return [Picture(row.sha256, row.mime, file_name(name, row), row.thumb_sha256, caption, links[n] if n < len(links) else "")
                for n, (row, name) in enumerate(photos)]

    async def thumbnails(self, news_ids: list[int]) -> dict[int, list[Thumbnail]]:
        """The photos of news items, in order, for a digest or a page: `read(thumb)` gives a thumbnail's bytes."""
        if not news_ids:
            return {}
        out: dict[int, list[Thumbnail]] = {}
        for use in await ProjectFile.filter(news_id__in=news_ids).order_by("news_id", "position").prefetch_related("file"):
            row = use.file
            out.setdefault(int(use.news_id or 0), []).append(Thumbnail(int(use.news_id or 0), use.filename, row.sha256, row.thumb_sha256,
                                                                       row.width, row.height, use.id))
        return out

    async def with_bytes(self, reply: Reply, thumbs: bool = False) -> Reply:
        """The reply with each picture as a file (its bytes from the store, or its thumbnail's): for the adapters
        that send files as they come (the console, mail)."""
        if not any(isinstance(b, Picture) for b in reply.blocks):
            return reply
        blocks = []
        for element in reply.blocks:
            if isinstance(element, Picture):
                small = thumbs and element.thumb and element.url  # the thumbnail shown, the full size a link away
                data = await self.read(element.thumb if small else element.sha256)
                name = element.filename.rsplit(".", 1)[0] + ".jpg" if small else element.filename
                element = Attachment(name, "image/jpeg" if small else element.mime, data, element.caption, element.url)
            blocks.append(element)
        return Reply(blocks=blocks, choices=reply.choices, error=reply.error, sensitive=reply.sensitive)

    async def remote_id(self, key: str, platform: str, variant: str = "full") -> str:
        """What the platform named this file when it was uploaded there, or ""."""
        found = await FileUpload.filter(file__sha256=key, platform=platform, variant=variant).first()
        return found.remote_id if found else ""

    async def remember(self, key: str, platform: str, remote_id: str, variant: str = "full") -> None:
        row = await StoredFile.filter(sha256=key).first()
        if row is None or not remote_id:
            return
        try:
            await FileUpload.create(file_id=row.id, platform=platform, variant=variant, remote_id=remote_id[:500])
        except IntegrityError:  # two deliveries uploaded it at once: the first id stays
            pass

    async def prune(self) -> int:
        """Remove the files nothing uses any more (older than PRUNE_AFTER: a news item may be about to use a newer
        one), bytes and rows, then the bytes in the store no row names; returns how many files went."""
        before = self.clock() - PRUNE_AFTER
        orphans = await StoredFile.filter(created_at__lt=before).exclude(id__in=Subquery(ProjectFile.all().values("file_id")))
        await self._remove(orphans)
        strays = await self._strays(before)
        if orphans or strays:
            log.info("files pruned", extra={"count": len(orphans), "strays": strays})
        return len(orphans) + strays

    async def _remove(self, rows: list[StoredFile]) -> None:
        for row in rows:
            await StoredFile.filter(id=row.id).delete()
            for key in {k for k in (row.sha256, row.thumb_sha256) if k}:
                if not await StoredFile.filter(Q(sha256=key) | Q(thumb_sha256=key)).exists():
                    await self._store().delete(key)

    async def _strays(self, before: datetime) -> int:
        """Bytes in the store that no row names (a process stopped between writing them and their row)."""
        named = set(await StoredFile.all().values_list("sha256", flat=True))
        named |= set(await StoredFile.all().values_list("thumb_sha256", flat=True))
        gone = 0
        for key, written in await self._store().keys():
            if key not in named and written < before:
                await self._store().delete(key)
                gone += 1
        return gone

    # -- a person's files ---------------------------------------------------------------------------------

    async def of_person(self, person_id: int) -> list[dict]:
        """What the person posted (documents, news photos), for `mydata`: names and sizes, never the bytes."""
        uses = await ProjectFile.filter(person_id=person_id).order_by("id").prefetch_related("file", "project__community")
        return [{"project": f"{u.project.community.slug}/{u.project.slug}", "kind": "photo" if u.news_id else "document",
                 "number": None if u.news_id else u.position, "news_id": u.news_id, "filename": u.filename, "title": u.title,
                 "type": u.file.mime, "size": u.file.size, "public": u.public, "posted_at": u.created_at.isoformat(),
                 "removed_at": u.removed_at.isoformat() if u.removed_at else None, "sha256": u.file.sha256} for u in uses]

    async def forget(self, connection, person_id: int, photos: bool) -> list[int]:
        """In the erasure's transaction: the documents the person added go, and their news photos when they ask
        (`photos`; otherwise the photos stay the project's, without their name). Returns the stored files concerned,
        for `drop` once the transaction is committed."""
        query = ProjectFile.filter(person_id=person_id)
        if not photos:
            query = query.filter(news_id__isnull=True)
        ids: list[int] = [row["file_id"] for row in await query.using_db(connection).values("file_id")]
        await query.using_db(connection).delete()
        return ids

    async def drop(self, file_ids: list[int]) -> int:
        """The given files, bytes and rows, when nothing uses them any more (the files of an erased person: at once)."""
        if not file_ids:
            return 0
        rows = await StoredFile.filter(id__in=list(set(file_ids))).exclude(id__in=Subquery(ProjectFile.all().values("file_id")))
        await self._remove(rows)
        return len(rows)


def file_name(name: str, row: StoredFile) -> str:
    """A file's name as shown: what the person called it, with the extension its bytes say."""
    ext = DOCUMENTS.get(row.mime, "")
    stem = "".join(c for c in (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1] if c.isprintable() and c not in '"<>|*?:')
    stem = stem.strip()[:150]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return f"{stem or 'photo'}{ext}"
