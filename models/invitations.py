"""Invitations and ambassadors, and each community's profile: its place and cause in the directory, whether it is
listed there, and its contributors' settings."""

from tortoise import fields
from tortoise.models import Model


class Invitation(Model):
    """A member's personal invitation to the community (or to one of its projects): its code, how often its link was
    opened; who came through it is in InvitationArrival."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    project = fields.ForeignKeyField("models.Project", null=True, related_name=False, on_delete=fields.CASCADE)
    project_id: int | None
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    code = fields.CharField(max_length=16, unique=True)
    visits = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "invitation"


class InvitationArrival(Model):
    """Someone who joined (or followed the project) through an invitation; an erased newcomer stays counted, nameless."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    invitation = fields.ForeignKeyField("models.Invitation", related_name=False, on_delete=fields.CASCADE)
    invitation_id: int
    person = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    person_id: int | None
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "invitation_arrival"
        unique_together = (("invitation", "person"),)


class CommunityProfile(Model):
    """A community's place and cause in the directory, whether it is listed there, and its contributors' settings."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.OneToOneField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    place = fields.CharField(max_length=200, default="")
    cause = fields.CharField(max_length=300, default="")
    listed = fields.BooleanField(default=False)  # in `communities` and on `/`: the facilitators' choice, off by default
    member_polls = fields.BooleanField(default=False)  # members may open polls (`member polls on`)
    idea_threshold = fields.IntField(default=5)  # supports that bring an idea to the facilitators' agenda

    class Meta:
        table = "community_profile"
