"""Stored files (by content hash), their uses (a news item's photos, a project's documents) and platform upload ids."""

from tortoise import fields
from tortoise.models import Model


class StoredFile(Model):
    """One file's bytes in the file store, named by the SHA-256 of what is stored (an image as cleaned: no EXIF)."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    sha256 = fields.CharField(max_length=64, unique=True)
    # The hash of the bytes as received: the same upload again is recognised without decoding it a second time.
    source_sha256 = fields.CharField(max_length=64, db_index=True)
    mime = fields.CharField(max_length=100)
    size = fields.IntField()
    width = fields.IntField(default=0)
    height = fields.IntField(default=0)
    thumb_sha256 = fields.CharField(max_length=64, default="")  # an image's thumbnail (a JPEG), "" for other files
    created_at = fields.DatetimeField()

    class Meta:
        table = "stored_file"


class ProjectFile(Model):
    """A file in a project: a photo of a news item (`news` set, in `position` order) or a document of the project."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    project = fields.ForeignKeyField("models.Project", related_name="files", on_delete=fields.CASCADE)
    project_id: int
    news = fields.ForeignKeyField("models.NewsItem", null=True, related_name="photos", on_delete=fields.CASCADE)
    news_id: int | None
    file = fields.ForeignKeyField("models.StoredFile", related_name="uses", on_delete=fields.CASCADE)
    file_id: int
    person = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    person_id: int | None
    filename = fields.CharField(max_length=200)
    public = fields.BooleanField(default=False)  # a document shown on the public page (the referent said so)
    position = fields.SmallIntField(default=0)  # a photo's place in its news item; a document's number in its project
    title = fields.CharField(max_length=200, default="")  # a document's title, as its referent gave it ("" : its name)
    created_at = fields.DatetimeField()
    removed_at = fields.DatetimeField(null=True)  # a document taken away (its Undo brings it back until it is pruned)

    class Meta:
        table = "project_file"


class FileUpload(Model):
    """Where a platform keeps a file once uploaded (a Telegram `file_id`, a Matrix `mxc://`): sent again by that id."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    file = fields.ForeignKeyField("models.StoredFile", related_name=False, on_delete=fields.CASCADE)
    file_id: int
    platform = fields.CharField(max_length=16)
    variant = fields.CharField(max_length=8, default="full")  # full or thumb
    remote_id = fields.CharField(max_length=500)

    class Meta:
        table = "file_upload"
        unique_together = (("file", "platform", "variant"),)
