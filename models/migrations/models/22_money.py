"""Money counted where it is given: a campaign linked to its payment platform (its amount read from there on a schedule,
with its back-off), and the expenses a project's referents record (what the money paid for)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

_TABLES = """
CREATE TABLE "campaign_link" (
    "id" {serial},
    "platform" VARCHAR(16) NOT NULL,
    "ref" VARCHAR(300) NOT NULL,
    "next_at" {stamp},
    "read_at" {stamp},
    "failures" INT NOT NULL DEFAULT 0,
    "error" VARCHAR(32) NOT NULL DEFAULT '',
    "created_at" {stamp} NOT NULL,
    "campaign_id" INT NOT NULL UNIQUE REFERENCES "campaign" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_campaign_link_next_at" ON "campaign_link" ("next_at");
CREATE TABLE "expense" (
    "id" {serial},
    "amount" BIGINT NOT NULL,
    "text" VARCHAR(300) NOT NULL,
    "spent_on" DATE NOT NULL,
    "created_at" {stamp} NOT NULL,
    "told_at" {stamp},
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    "campaign_id" INT REFERENCES "campaign" ("id") ON DELETE SET NULL,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL
);
CREATE INDEX "idx_expense_project" ON "expense" ("project_id", "spent_on");
CREATE INDEX "idx_expense_campaign" ON "expense" ("campaign_id");
CREATE INDEX "idx_expense_person" ON "expense" ("created_by_id");
"""

SQLITE = _TABLES.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", stamp="TIMESTAMP")
POSTGRES = _TABLES.format(serial="SERIAL NOT NULL PRIMARY KEY", stamp="TIMESTAMPTZ")


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return 'DROP TABLE "expense";\nDROP TABLE "campaign_link";'
