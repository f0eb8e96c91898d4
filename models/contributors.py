"""Members become contributors: ideas and their supports, needs posted by referents with the offers they get and whom
they reached, members' skills, and volunteers for a project without referent."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class IdeaStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # it became a project (`project`)
    MERGED = "merged"  # it joined an existing project (`project`)
    DECLINED = "declined"  # not taken up (`note` says why)


class Idea(Model):
    """A member's project idea, numbered in the community (`idée 4`); `supporters` counts its supports."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    number = fields.IntField()
    title = fields.CharField(max_length=200)
    summary = fields.TextField(default="")
    author = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    author_id: int | None  # None: its proposer erased their data (« a former member »)
    status = fields.CharEnumField(IdeaStatus, max_length=16, default=IdeaStatus.OPEN)
    supporters = fields.IntField(default=0)
    project = fields.ForeignKeyField("models.Project", null=True, related_name=False, on_delete=fields.SET_NULL)
    project_id: int | None
    note = fields.TextField(default="")  # the facilitator's word when it was declined
    lead = fields.CharField(max_length=16, default="")  # the proposer asked to be its referent: "", asked, yes, no
    decided_by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    decided_by_id: int | None
    decided_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idea"
        unique_together = (("community", "number"),)


class IdeaSupport(Model):
    """A member's support of an idea: once each, withdrawable."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    idea = fields.ForeignKeyField("models.Idea", related_name=False, on_delete=fields.CASCADE)
    idea_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    at = fields.DatetimeField()

    class Meta:
        table = "idea_support"
        unique_together = (("idea", "person"),)


class Need(Model):
    """Help a project's referents ask for (« un·e menuisier·e pour samedi »), numbered in the community."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    number = fields.IntField()
    project = fields.ForeignKeyField("models.Project", related_name=False, on_delete=fields.CASCADE)
    project_id: int
    text = fields.TextField()
    due = fields.DateField(null=True)
    author = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    author_id: int | None
    status = fields.CharField(max_length=16, default="open")  # open | filled
    helper = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    helper_id: int | None
    filled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "need"
        unique_together = (("community", "number"),)


class NeedOffer(Model):
    """`i can help <need>`: told to the referents, who say who filled it."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    need = fields.ForeignKeyField("models.Need", related_name=False, on_delete=fields.CASCADE)
    need_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    text = fields.TextField(default="")
    at = fields.DatetimeField()

    class Meta:
        table = "need_offer"
        unique_together = (("need", "person"),)


class NeedReach(Model):
    """A need sent to a person: at most 3 a week reach each one."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    need = fields.ForeignKeyField("models.Need", related_name=False, on_delete=fields.CASCADE)
    need_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "need_reach"


class Skill(Model):
    """What a person says they can do, as they wrote it (`skills <words…>`); its stems are in SkillTerm."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    person = fields.OneToOneField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    text = fields.TextField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "skill"


class SkillTerm(Model):
    """One stem of a person's skills (French and English stems, cut to 6 letters): a need is matched on these."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    term = fields.CharField(max_length=16, db_index=True)

    class Meta:
        table = "skill_term"
        unique_together = (("person", "term"),)


class ReferentOffer(Model):
    """`i'll take it <project>` on a project without referent: a facilitator confirms it."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    project = fields.ForeignKeyField("models.Project", related_name=False, on_delete=fields.CASCADE)
    project_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    at = fields.DatetimeField()

    class Meta:
        table = "referent_offer"
        unique_together = (("project", "person"),)
