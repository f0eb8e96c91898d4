"""Votes: polls (single, multiple, ranked, date), one ballot per person, native polls on the platforms, and the
general meeting's answers."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class PollKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"  # approval: any number of options
    RANKED = "ranked"  # instant-runoff over the preferences in order
    DATE = "date"  # each option (a date) answered yes / if need be / no


class VotePoll(Model):
    """A poll of a community, numbered in it (#3). `options` are the labels (for a date poll, the dates in ISO form)."""

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    number = fields.IntField()
    question = fields.CharField(max_length=300)
    kind = fields.CharEnumField(PollKind, max_length=16, default=PollKind.SINGLE)
    options = fields.JSONField()  # list[str]
    secret = fields.BooleanField(default=False)  # who voted what is never shown; ballots under a pseudonym
    hidden = fields.BooleanField(default=False)  # results shown only at the close
    salt = fields.CharField(max_length=64, default="")  # the secret poll's pseudonym key: erased at the close
    for_meeting = fields.BooleanField(default=False)  # a date poll whose close sets the general meeting
    created_by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    created_by_id: int | None
    posted_in = fields.CharField(max_length=340, default="")  # platform:chat where it was created (results go back there)
    created_at = fields.DatetimeField()
    closes_at = fields.DatetimeField(null=True, db_index=True)
    closed_at = fields.DatetimeField(null=True)
    nudged_at = fields.DatetimeField(null=True)  # the one reminder to those who have not voted
    results = fields.JSONField(null=True)  # the count at the close, kept as it was

    class Meta:
        table = "vote_poll"
        unique_together = (("community", "number"),)


class Ballot(Model):
    """One ballot per voter and poll, replaced when they vote again. `voter` is `p<person id>`, or for a secret poll
    a pseudonym (HMAC of the person with the poll's salt) that cannot be traced back once the salt is erased."""

    id = fields.BigIntField(primary_key=True)
    poll = fields.ForeignKeyField("models.VotePoll", related_name=False, on_delete=fields.CASCADE)
    poll_id: int
    voter = fields.CharField(max_length=64)
    choice = fields.JSONField()  # [option numbers] (ranked: in order); date poll: {"yes": [...], "maybe": [...]}
    cast_at = fields.DatetimeField()

    class Meta:
        table = "ballot"
        unique_together = (("poll", "voter"),)


class PollVoter(Model):
    """Who has voted (not what): the nudge goes to the others; for a secret poll this is all Relais shows."""

    id = fields.BigIntField(primary_key=True)
    poll = fields.ForeignKeyField("models.VotePoll", related_name=False, on_delete=fields.CASCADE)
    poll_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    platform = fields.CharField(max_length=16, default="")  # where the latest ballot came from
    at = fields.DatetimeField(null=True)  # when they last voted (the report's participation), never what

    class Meta:
        table = "poll_voter"
        unique_together = (("poll", "person"),)


class NativePoll(Model):
    """A poll as a platform shows it natively (a Telegram poll, a Matrix m.poll.start): its ids there, so that an
    answer maps back to the poll and the close stops it."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    chat = fields.CharField(max_length=340)
    native_id = fields.CharField(max_length=255)  # Telegram's poll id, Matrix's event id
    message_id = fields.CharField(max_length=255, default="")  # the message carrying it (Telegram: to stop it)
    poll = fields.ForeignKeyField("models.VotePoll", related_name=False, on_delete=fields.CASCADE)
    poll_id: int
    vote = fields.CharField(max_length=200)  # the command prefix an answer becomes: "vote usine-vivante#3"
    options = fields.IntField(default=0)
    closed = fields.BooleanField(default=False)

    class Meta:
        table = "native_poll"
        unique_together = (("platform", "native_id"),)


class MeetingAnswer(Model):
    """A member's `coming` / `not coming` for a general meeting."""

    id = fields.IntField(primary_key=True)
    meeting = fields.ForeignKeyField("models.Meeting", related_name=False, on_delete=fields.CASCADE)
    meeting_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    coming = fields.BooleanField()
    at = fields.DatetimeField()

    class Meta:
        table = "meeting_answer"
        unique_together = (("meeting", "person"),)
