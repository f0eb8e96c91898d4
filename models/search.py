"""Search: the community's list posts as Relais read them, and one row per searchable item (what a result shows).

The text index itself has no model: an FTS5 table `search_fts` on SQLite and a `search_tsv` table (a tsvector with a
GIN index) on PostgreSQL, both keyed by `SearchDoc.id` (bot/services/search_index.py writes them).
"""

from tortoise import fields
from tortoise.models import Model


class ListMessage(Model):
    """A post read on a community's list: its subject and the start of what its author wrote (quotes and signature
    left out), kept so that the community can find it again."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    address = fields.CharField(max_length=320)
    person = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    person_id: int | None
    author = fields.CharField(max_length=200, default="")  # the From display name
    subject = fields.CharField(max_length=300, default="")
    excerpt = fields.TextField(default="")
    message_id = fields.CharField(max_length=255, null=True)  # a copy read twice is kept once
    archive_url = fields.CharField(max_length=500, default="")  # Archived-At, when the list archives its posts
    posted_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "mail_list_message"
        unique_together = (("community", "message_id"),)


class SearchDoc(Model):
    """One searchable item of a community (`kind`: news, step, answer, poll, meeting, post; `item_id`: its row) with
    what a result shows; `staff` items (referents' raw answers to prompts) are found by facilitators only."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    kind = fields.CharField(max_length=16)
    item_id = fields.BigIntField()
    project = fields.ForeignKeyField("models.Project", null=True, related_name=False, on_delete=fields.CASCADE)
    project_id: int | None
    heading = fields.CharField(max_length=300, default="")  # the project's title, the poll's question, the post's subject
    author = fields.CharField(max_length=200, default="")
    excerpt = fields.TextField(default="")
    at = fields.DatetimeField()  # the item's date (a meeting's: when it takes place)
    staff = fields.BooleanField(default=False)
    opens = fields.CharField(max_length=200, default="")  # the command line that opens it: "project dombes-brasserie"
    url = fields.CharField(max_length=500, default="")  # a link to it (a list archive), if any

    class Meta:
        table = "search_doc"
        unique_together = (("kind", "item_id"),)
