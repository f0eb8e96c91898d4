"""Pledge campaigns: a project's campaign on the platform it chose, the personal links' clicks, the promises."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.labels import N_


class CampaignKind(StrEnum):
    DONATION = "donation"
    REWARD = "reward"
    LOAN = "loan"
    EQUITY = "equity"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {CampaignKind.DONATION: N_("donation"), CampaignKind.REWARD: N_("donation with a reward"),
               CampaignKind.LOAN: N_("loan"), CampaignKind.EQUITY: N_("equity")}
KIND_WORDS = {"donation": CampaignKind.DONATION, "don": CampaignKind.DONATION, "dons": CampaignKind.DONATION,
              "reward": CampaignKind.REWARD, "contrepartie": CampaignKind.REWARD, "contreparties": CampaignKind.REWARD,
              "loan": CampaignKind.LOAN, "pret": CampaignKind.LOAN, "prêt": CampaignKind.LOAN,
              "equity": CampaignKind.EQUITY, "capital": CampaignKind.EQUITY}


class Campaign(Model):
    """Amounts are in cents of `currency`. One running campaign per project (closed_at null)."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    project = fields.ForeignKeyField("models.Project", related_name=False, on_delete=fields.CASCADE)
    project_id: int
    kind = fields.CharEnumField(CampaignKind, max_length=16)
    goal = fields.BigIntField()
    currency = fields.CharField(max_length=3, default="EUR")
    url = fields.CharField(max_length=2000)
    terms = fields.CharField(max_length=300, default="")  # a loan's rate and duration, an equity's terms
    until = fields.DateField(null=True)
    raised = fields.BigIntField(default=0)
    backers = fields.IntField(default=0)
    milestone = fields.IntField(default=0)  # the highest of 25/50/75/100 % announced as news
    reminded = fields.IntField(default=-1)  # the smallest countdown (7, 2, 0 days left) sent, -1: none yet
    created_by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    created_by_id: int | None
    created_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    thanked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "campaign"


class PledgeClick(Model):
    """A person's personal link used for a campaign: counted once per person and campaign, however many clicks."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    campaign = fields.ForeignKeyField("models.Campaign", related_name=False, on_delete=fields.CASCADE)
    campaign_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    at = fields.DatetimeField()

    class Meta:
        table = "pledge_click"
        unique_together = (("campaign", "person"),)


class Promise(Model):
    """A person's pre-commitment (in cents), shown as a total beside the amount raised, never mixed with it."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    campaign = fields.ForeignKeyField("models.Campaign", related_name=False, on_delete=fields.CASCADE)
    campaign_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    amount = fields.BigIntField()
    at = fields.DatetimeField()

    class Meta:
        table = "promise"
        unique_together = (("campaign", "person"),)
