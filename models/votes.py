"""Votes: polls (single, multiple, ranked, date), one ballot per person, native polls on the platforms."""

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

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    number = fields.IntField()
    question = fields.CharField(max_length=300)
    kind = fields.CharEnumField(PollKind, max_length=16, default=PollKind.SINGLE)
    options = fields.JSONField()  # list[str]
    secret = fields.BooleanField(default=False)  # who voted what is never shown nor stored together (BallotBox)
    hidden = fields.BooleanField(default=False)  # results shown only at the close; ballots answered in private
    # A secret poll opened before ballot keys came from RELAIS_SECRET_KEY (15_ballots): its own pseudonym key, until the
    # first vote with the configured key re-keys its box, or the close; "" for every poll opened since.
    salt = fields.CharField(max_length=64, default="")
    # A secret poll: a fingerprint of the RELAIS_SECRET_KEY its ballot keys come from (not the key), so that a changed key is
    # refused instead of giving someone a second ballot; erased at the close with the keys.
    key_check = fields.CharField(max_length=16, default="")
    for_meeting = fields.BooleanField(default=False)  # a date poll whose close sets the general meeting
    place = fields.CharField(max_length=200, default="")  # the meeting's place, given with its date poll (or "")
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
    """A counted ballot. A public poll's: one per voter (`voter` = `p<person id>`), replaced when they vote again. A
    secret poll's: written at its close from its BallotBox, without voter nor time, in the order of the choices, under
    random ids: nothing in the row or its place tells whose it was."""

    _no_comments = True  # see models/__init__.py

    id = fields.UUIDField(primary_key=True)  # random: no order that follows the votes
    poll = fields.ForeignKeyField("models.VotePoll", related_name=False, on_delete=fields.CASCADE)
    poll_id: int
    voter = fields.CharField(max_length=64, null=True)  # NULL: a closed secret poll's ballot
    choice = fields.JSONField()  # [option numbers] (ranked: in order); date poll: {"yes": [...], "maybe": [...]}
    cast_at = fields.DatetimeField(null=True)  # NULL: a secret poll's ballot

    class Meta:
        table = "ballot"
        unique_together = (("poll", "voter"),)


class BallotBox(Model):
    """A secret poll's ballots while it is open, in one row: {voter key: choice}. A voter key is an HMAC of the poll and
    the person under a key derived from RELAIS_SECRET_KEY, which is not in the database; the keys are written sorted, so
    the box keeps no order nor time of the votes. The close empties it into anonymous Ballot rows and deletes it."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    poll = fields.OneToOneField("models.VotePoll", related_name=False, on_delete=fields.CASCADE)
    poll_id: int
    ballots = fields.JSONField(default=dict)

    class Meta:
        table = "ballot_box"


class PollElector(Model):
    """Who may vote on a poll: the community's members at its opening (pending members and those who come later
    excepted), and whoever a facilitator adds (`poll add`)."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    poll = fields.ForeignKeyField("models.VotePoll", related_name=False, on_delete=fields.CASCADE)
    poll_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int

    class Meta:
        table = "poll_elector"
        unique_together = (("poll", "person"),)


class PollVoter(Model):
    """Who has voted (not what): the nudge goes to the others; for a secret poll this is all Relais shows."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    poll = fields.ForeignKeyField("models.VotePoll", related_name=False, on_delete=fields.CASCADE)
    poll_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    platform = fields.CharField(max_length=16, default="")  # where the latest ballot came from
    # When they last voted (the report's participation), never what; a secret poll's only to the day (UTC), so that
    # the moment of a vote cannot be matched with anything else that moved then (the results so far, a log line).
    at = fields.DatetimeField(null=True)

    class Meta:
        table = "poll_voter"
        unique_together = (("poll", "person"),)


class NativePoll(Model):
    """A poll as a platform shows it natively (a Telegram poll, a Matrix m.poll.start): its ids there, so that an
    answer maps back to the poll and the close stops it."""

    _no_comments = True  # see models/__init__.py

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
