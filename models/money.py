"""Money counted where it is given: a campaign linked to its payment platform, and what the money paid for."""

from tortoise import fields
from tortoise.models import Model


class CampaignLink(Model):
    """A campaign whose amount is read from its platform (HelloAsso, Open Collective) instead of typed by hand.

    `ref` names the form or the account on the platform (never a credential: those live in the settings)."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    campaign = fields.OneToOneField("models.Campaign", related_name=False, on_delete=fields.CASCADE)
    campaign_id: int
    platform = fields.CharField(max_length=16)  # helloasso | opencollective
    ref = fields.CharField(max_length=300)  # helloasso: org/FormType/form-slug; opencollective: the account's slug
    next_at = fields.DatetimeField(null=True, db_index=True)  # the next read; null: not read any more (the form is gone)
    read_at = fields.DatetimeField(null=True)  # the last good read
    failures = fields.IntField(default=0)  # failed reads in a row: the back-off grows with them
    error = fields.CharField(max_length=32, default="")  # the last failure's kind (gone, unauthorized, limited, failed)
    created_at = fields.DatetimeField()

    class Meta:
        table = "campaign_link"


class Expense(Model):
    """What a project's money paid for, recorded by its referents (cents of the campaign's currency)."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    project = fields.ForeignKeyField("models.Project", related_name=False, on_delete=fields.CASCADE)
    project_id: int
    campaign = fields.ForeignKeyField("models.Campaign", null=True, related_name=False, on_delete=fields.SET_NULL)
    campaign_id: int | None
    amount = fields.BigIntField()
    text = fields.CharField(max_length=300)
    spent_on = fields.DateField()
    created_by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    created_by_id: int | None
    created_at = fields.DatetimeField()
    told_at = fields.DatetimeField(null=True)  # when the backers' weekly summary included it

    class Meta:
        table = "expense"


class LoanSchedule(Model):
    """A loan campaign's repayments: `count` monthly instalments of `amount` cents from `starts_on` (the same day of each
    month, the month's last day when shorter). `paid` counts the instalments the referents confirmed, `reminded` those
    whose reminder went out: each is moved on by a conditional update, so a reminder or a confirmation is never doubled."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    campaign = fields.OneToOneField("models.Campaign", related_name=False, on_delete=fields.CASCADE)
    campaign_id: int
    amount = fields.BigIntField()
    count = fields.IntField()
    starts_on = fields.DateField()
    paid = fields.IntField(default=0)
    reminded = fields.IntField(default=0)
    paid_at = fields.DatetimeField(null=True)  # the last confirmation
    created_by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    created_by_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "loan_schedule"


class Budget(Model):
    """A community's contributive micro-budget (cents): what the facilitators put in, the ceiling of one request, how many
    facilitators approve a request."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.OneToOneField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    total = fields.BigIntField(default=0)
    ceiling = fields.BigIntField(default=30_000)
    approvals = fields.IntField(default=1)
    currency = fields.CharField(max_length=3, default="EUR")
    updated_at = fields.DatetimeField()

    class Meta:
        table = "budget"


class BudgetRequest(Model):
    """A referent's request on the micro-budget; once approved, a line of the budget's ledger (kept when the project or
    the person is gone)."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    number = fields.IntField()
    project = fields.ForeignKeyField("models.Project", null=True, related_name=False, on_delete=fields.SET_NULL)
    project_id: int | None
    title = fields.CharField(max_length=200)  # the project's title when asked
    person = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    person_id: int | None
    amount = fields.BigIntField()
    reason = fields.CharField(max_length=300)
    status = fields.CharField(max_length=16, default="pending")  # pending | approved | refused
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "budget_request"
        unique_together = (("community", "number"),)


class BudgetVote(Model):
    """A facilitator's answer to a request: one each (the unique key decides, across processes)."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField("models.BudgetRequest", related_name=False, on_delete=fields.CASCADE)
    request_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    approve = fields.BooleanField()
    at = fields.DatetimeField()

    class Meta:
        table = "budget_vote"
        unique_together = (("request", "person"),)
