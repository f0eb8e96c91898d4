"""Members' polls: the reasons given with ballots, what a closed poll decided, and the polls facilitators hid."""

from tortoise import fields
from tortoise.models import Model


class VoteReason(Model):
    """Why a person voted as they did on a poll that is not secret (`vote 3 2 because …`), shown with the results."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    poll = fields.ForeignKeyField("models.VotePoll", related_name=False, on_delete=fields.CASCADE)
    poll_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    text = fields.TextField()
    at = fields.DatetimeField()

    class Meta:
        table = "vote_reason"
        unique_together = (("poll", "person"),)


class PollOutcome(Model):
    """What a closed poll decided (`outcome <poll> <text> [review <date>]`); the review date comes back in the agenda."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    poll = fields.OneToOneField("models.VotePoll", related_name=False, on_delete=fields.CASCADE)
    poll_id: int
    text = fields.TextField()
    review_on = fields.DateField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    by_id: int | None
    at = fields.DatetimeField()

    class Meta:
        table = "poll_outcome"


class PollHidden(Model):
    """A poll a facilitator hid (a member's poll that should not be): closed, and shown nowhere."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    poll = fields.OneToOneField("models.VotePoll", related_name=False, on_delete=fields.CASCADE)
    poll_id: int
    by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    by_id: int | None
    at = fields.DatetimeField()

    class Meta:
        table = "poll_hidden"
