"""Members talking back: comments, questions and offers of help about a project, and what Relais' messages were about."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.labels import N_


class CommentKind(StrEnum):
    COMMENT = "comment"  # a reply to something Relais posted (news, a next step, a poll…)
    QUESTION = "question"  # `question <project> <text>`
    OFFER = "offer"  # `help-out <project> [text]`: « je peux aider »
    CONTACT = "contact"  # to the facilitators, about no project

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {CommentKind.COMMENT: N_("comment"), CommentKind.QUESTION: N_("question"), CommentKind.OFFER: N_("offer of help"),
               CommentKind.CONTACT: N_("message")}


class Consent(StrEnum):
    """What the author said to publishing their question with its answer (asked once)."""

    UNASKED = ""
    ASKED = "asked"
    NAME = "name"
    ANONYMOUS = "anonymous"
    NO = "no"


class Comment(Model):
    """What a member wrote to a project's referents (or the facilitators), numbered in the community (`#12`), with
    the answer that went back to them; published with both the referent's act and the author's consent."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    number = fields.IntField()
    project = fields.ForeignKeyField("models.Project", null=True, related_name=False, on_delete=fields.CASCADE)
    project_id: int | None
    kind = fields.CharEnumField(CommentKind, max_length=16, default=CommentKind.COMMENT)
    about_kind = fields.CharField(max_length=16, default="")  # news, step, prompt, poll, campaign, meeting, project…
    about_id = fields.IntField(null=True)
    about_text = fields.TextField(default="")  # the item as it read when commented (quoted to the referents)
    author = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    author_id: int | None
    text = fields.TextField()
    # Where the answer goes back: {"platform", "address", "chat", "ref", "thread", "subject", "references"}.
    origin = fields.JSONField(default=dict)
    in_group = fields.BooleanField(default=False)  # left in a group or room: Relais records it and does not repeat it there
    answer = fields.TextField(default="")
    answered_by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    answered_by_id: int | None
    answered_at = fields.DatetimeField(null=True)
    hidden_at = fields.DatetimeField(null=True)
    consent = fields.CharEnumField(Consent, max_length=16, default=Consent.UNASKED)
    publish_wanted = fields.BooleanField(default=False)  # a referent published it: it goes public once the author agrees
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "comment"
        unique_together = (("community", "number"),)


class MessageTopic(Model):
    """What a message Relais sent was about (`key` = platform:message ref), or the numbered items a conversation was
    last shown (`key` = the conversation's key): a reply to it, or `/reply <n>`, comments on that item.
    `items` = [[kind, id, project id], …]."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=400, db_index=True)
    items = fields.JSONField()
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "message_topic"


class CommentBlock(Model):
    """A person whose messages to the referents of a community are no longer forwarded (`block`, facilitators)."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    by_id: int | None
    at = fields.DatetimeField()

    class Meta:
        table = "comment_block"
        unique_together = (("community", "person"),)
