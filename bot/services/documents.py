"""A project's documents (plans, statutes, minutes): added with a file, numbered in their project, listed with their links,
taken away with an Undo, made public by a referent; the removed ones are pruned after a day."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.incoming import Upload
from bot.core.numbers import clean
from bot.core.sql import sql_for
from bot.services.files import Files, file_name
from models import Community, Person, Project, ProjectFile

log = logging.getLogger("relais.files")
MAX_DOCUMENTS = 500  # a project's documents at once (the numbers are small integers)
UNDO_KEEP = timedelta(days=1)  # a removed document can be brought back this long, then its row (and file) go


@dataclass(frozen=True)
class Document:
    """A document as a list or a page shows it: `number` names it in its project, `url` opens it ("" without a web endpoint)."""

    number: int
    title: str
    filename: str
    mime: str
    size: int
    public: bool
    at: datetime
    by: str
    use_id: int
    url: str = ""


class Documents:
    def __init__(self, clock: Callable[[], datetime], files: Files):
        self.clock = clock
        self.files = files

    async def add(self, project: Project, person: Person, upload: Upload, title: str = "") -> ProjectFile:
        """Store the file (its type read from its bytes, 20 MB at most) and add it to the project under the next number."""
        if await ProjectFile.filter(project_id=project.id, news_id__isnull=True, removed_at__isnull=True).count() >= MAX_DOCUMENTS:
            raise UserError(N_("{project} already has {count} documents: remove some first."), project=project.title,
                            count=MAX_DOCUMENTS)
        row = await self.files.add(upload, photo=False)
        title = " ".join(clean(title or "").split())[:200]
        for _ in range(5):
            try:
                async with in_transaction() as conn:
                    found = await conn.execute_query_dict(sql_for('SELECT MAX("position") AS "last" FROM "project_file" '
                                                                  'WHERE "project_id" = ? AND "news_id" IS NULL', conn.capabilities.dialect),
                                                          [project.id])
                    use = await ProjectFile.create(project_id=project.id, file_id=row.id, person_id=person.id,
                                                   filename=file_name(upload.filename, row), title=title,
                                                   position=int(found[0]["last"] or 0) + 1, created_at=self.clock(), using_db=conn)
                log.info("document added", extra={"project_id": project.id, "file_id": row.id})
                return use
            except IntegrityError:  # another document took that number at the same moment
                continue
        raise UserError(N_("Too many at once; try again."))

    async def listed(self, project: Project, community: Community, who: int = 0, public_only: bool = False) -> list[Document]:
        """The project's documents in order, each with its link (public when the pages show it, else signed for `who`)."""
        query = ProjectFile.filter(project_id=project.id, news_id__isnull=True, removed_at__isnull=True)
        if public_only:
            query = query.filter(public=True)
        uses = await query.order_by("position").prefetch_related("file")
        names = {p.id: p.display_name for p in await Person.filter(id__in=[u.person_id for u in uses if u.person_id])}
        return [Document(u.position, u.title, u.filename, u.file.mime, u.file.size, u.public, u.created_at,
                         names.get(u.person_id or 0, ""), u.id, self.files.links.url(u.id, community, project, u.public, who))
                for u in uses]

    async def get(self, project: Project, number: int, removed: bool = False) -> ProjectFile:
        """Document `number` of the project (`removed`: one taken away, for its Undo)."""
        use = await ProjectFile.filter(project_id=project.id, news_id__isnull=True, position=number,
                                       removed_at__isnull=not removed).prefetch_related("file").first()
        if use is None:
            raise UserError(N_("{project} has no document {number}: /documents {slug} lists them."), project=project.title,
                            number=number, slug=project.slug)
        return use

    async def remove(self, project: Project, number: int) -> ProjectFile:
        use = await self.get(project, number)
        await ProjectFile.filter(id=use.id).update(removed_at=self.clock())
        log.info("document removed", extra={"project_id": project.id, "document": number})
        return use

    async def restore(self, project: Project, number: int) -> ProjectFile:
        use = await self.get(project, number, removed=True)
        await ProjectFile.filter(id=use.id).update(removed_at=None)
        return use

    async def publish(self, project: Project, number: int, public: bool) -> ProjectFile:
        use = await self.get(project, number)
        await ProjectFile.filter(id=use.id).update(public=public)
        use.public = public
        return use

    async def purge(self) -> int:
        """The documents removed more than UNDO_KEEP ago go for good (their files, once unused, at the next prune)."""
        return await ProjectFile.filter(removed_at__lt=self.clock() - UNDO_KEEP).delete()
