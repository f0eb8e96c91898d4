"""Projects with referents, next steps, news items and follows."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.labels import N_


class ProjectStatus(StrEnum):
    IDEA = "idea"
    ACTIVE = "active"
    FUNDING = "funding"
    DONE = "done"

    @property
    def label(self) -> str:
        """The status as a reader sees it (a message id: translate it where it is shown)."""
        return STATUS_LABELS[self]


STATUS_LABELS = {ProjectStatus.IDEA: N_("idea"), ProjectStatus.ACTIVE: N_("active"),
                 ProjectStatus.FUNDING: N_("funding"), ProjectStatus.DONE: N_("done")}


STATUS_WORDS = {
    "idea": ProjectStatus.IDEA, "idee": ProjectStatus.IDEA, "idée": ProjectStatus.IDEA,
    "active": ProjectStatus.ACTIVE, "actif": ProjectStatus.ACTIVE, "en-cours": ProjectStatus.ACTIVE,
    "funding": ProjectStatus.FUNDING, "financement": ProjectStatus.FUNDING,
    "done": ProjectStatus.DONE, "termine": ProjectStatus.DONE, "terminé": ProjectStatus.DONE, "fini": ProjectStatus.DONE,
}


class Project(Model):
    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name="projects", on_delete=fields.CASCADE)
    community_id: int
    slug = fields.CharField(max_length=64)
    title = fields.CharField(max_length=200)
    summary = fields.TextField(default="")
    status = fields.CharEnumField(ProjectStatus, default=ProjectStatus.IDEA, max_length=16)
    referents = fields.ManyToManyField("models.Person", related_name="referent_of", through="project_referent")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "project"
        unique_together = (("community", "slug"),)


class NextStep(Model):
    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    project = fields.ForeignKeyField("models.Project", related_name="next_steps", on_delete=fields.CASCADE)
    project_id: int
    text = fields.TextField()
    due = fields.DateField(null=True)
    author = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    author_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "next_step"


class NewsItem(Model):
    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    project = fields.ForeignKeyField("models.Project", related_name="news", on_delete=fields.CASCADE)
    project_id: int
    text = fields.TextField()
    author = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    author_id: int | None
    platform = fields.CharField(max_length=16, default="console")
    # The author erased their data (`forget me`): shown as "a former member" (a null author alone is Relais' own news).
    former_author = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "news_item"


class Follow(Model):
    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="follows", on_delete=fields.CASCADE)
    person_id: int
    project = fields.ForeignKeyField("models.Project", related_name="follows", on_delete=fields.CASCADE)
    project_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "follow"
        unique_together = (("person", "project"),)
