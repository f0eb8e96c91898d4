"""Money plans: a loan campaign's repayment schedule (instalments confirmed and reminded, each once), and a community's
contributive micro-budget with its requests and the facilitators' answers (one each)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

_TABLES = """
CREATE TABLE "loan_schedule" (
    "id" {serial},
    "amount" BIGINT NOT NULL,
    "count" INT NOT NULL,
    "starts_on" DATE NOT NULL,
    "paid" INT NOT NULL DEFAULT 0,
    "reminded" INT NOT NULL DEFAULT 0,
    "paid_at" {stamp},
    "created_at" {stamp} NOT NULL,
    "campaign_id" INT NOT NULL UNIQUE REFERENCES "campaign" ("id") ON DELETE CASCADE,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL
);
CREATE INDEX "idx_loan_schedule_person" ON "loan_schedule" ("created_by_id");
CREATE TABLE "budget" (
    "id" {serial},
    "total" BIGINT NOT NULL DEFAULT 0,
    "ceiling" BIGINT NOT NULL DEFAULT 30000,
    "approvals" INT NOT NULL DEFAULT 1,
    "currency" VARCHAR(3) NOT NULL DEFAULT 'EUR',
    "updated_at" {stamp} NOT NULL,
    "community_id" INT NOT NULL UNIQUE REFERENCES "community" ("id") ON DELETE CASCADE
);
CREATE TABLE "budget_request" (
    "id" {serial},
    "number" INT NOT NULL,
    "title" VARCHAR(200) NOT NULL,
    "amount" BIGINT NOT NULL,
    "reason" VARCHAR(300) NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "created_at" {stamp} NOT NULL,
    "decided_at" {stamp},
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT REFERENCES "project" ("id") ON DELETE SET NULL,
    "person_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_budget_request_number" UNIQUE ("community_id", "number")
);
CREATE INDEX "idx_budget_request_project" ON "budget_request" ("project_id");
CREATE INDEX "idx_budget_request_person" ON "budget_request" ("person_id");
CREATE TABLE "budget_vote" (
    "id" {serial},
    "approve" {bool} NOT NULL,
    "at" {stamp} NOT NULL,
    "request_id" INT NOT NULL REFERENCES "budget_request" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_budget_vote_request_person" UNIQUE ("request_id", "person_id")
);
CREATE INDEX "idx_budget_vote_person" ON "budget_vote" ("person_id");
"""

SQLITE = _TABLES.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", stamp="TIMESTAMP", bool="INT")
POSTGRES = _TABLES.format(serial="SERIAL NOT NULL PRIMARY KEY", stamp="TIMESTAMPTZ", bool="BOOL")


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return 'DROP TABLE "budget_vote";\nDROP TABLE "budget_request";\nDROP TABLE "budget";\nDROP TABLE "loan_schedule";'
