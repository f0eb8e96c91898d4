"""Pledge campaigns: one running campaign per project, personal links' clicks (once per person), promises."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
CREATE TABLE "campaign" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "goal" BIGINT NOT NULL,
    "currency" VARCHAR(3) NOT NULL DEFAULT 'EUR',
    "url" VARCHAR(2000) NOT NULL,
    "terms" VARCHAR(300) NOT NULL DEFAULT '',
    "until" DATE,
    "raised" BIGINT NOT NULL DEFAULT 0,
    "backers" INT NOT NULL DEFAULT 0,
    "milestone" INT NOT NULL DEFAULT 0,
    "reminded" INT NOT NULL DEFAULT -1,
    "created_at" TIMESTAMP NOT NULL,
    "closed_at" TIMESTAMP,
    "thanked_at" TIMESTAMP,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_campaign_project" ON "campaign" ("project_id");
CREATE UNIQUE INDEX "uid_campaign_running" ON "campaign" ("project_id") WHERE "closed_at" IS NULL;
CREATE TABLE "pledge_click" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "campaign_id" INT NOT NULL REFERENCES "campaign" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_pledge_click_campaign_person" UNIQUE ("campaign_id", "person_id")
);
CREATE TABLE "promise" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "amount" BIGINT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "campaign_id" INT NOT NULL REFERENCES "campaign" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_promise_campaign_person" UNIQUE ("campaign_id", "person_id")
);
"""

POSTGRES = """
CREATE TABLE "campaign" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(16) NOT NULL,
    "goal" BIGINT NOT NULL,
    "currency" VARCHAR(3) NOT NULL DEFAULT 'EUR',
    "url" VARCHAR(2000) NOT NULL,
    "terms" VARCHAR(300) NOT NULL DEFAULT '',
    "until" DATE,
    "raised" BIGINT NOT NULL DEFAULT 0,
    "backers" INT NOT NULL DEFAULT 0,
    "milestone" INT NOT NULL DEFAULT 0,
    "reminded" INT NOT NULL DEFAULT -1,
    "created_at" TIMESTAMPTZ NOT NULL,
    "closed_at" TIMESTAMPTZ,
    "thanked_at" TIMESTAMPTZ,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_campaign_project" ON "campaign" ("project_id");
CREATE UNIQUE INDEX "uid_campaign_running" ON "campaign" ("project_id") WHERE "closed_at" IS NULL;
CREATE TABLE "pledge_click" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "at" TIMESTAMPTZ NOT NULL,
    "campaign_id" INT NOT NULL REFERENCES "campaign" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_pledge_click_campaign_person" UNIQUE ("campaign_id", "person_id")
);
CREATE INDEX "idx_pledge_click_person" ON "pledge_click" ("person_id");
CREATE TABLE "promise" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "amount" BIGINT NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    "campaign_id" INT NOT NULL REFERENCES "campaign" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_promise_campaign_person" UNIQUE ("campaign_id", "person_id")
);
CREATE INDEX "idx_promise_person" ON "promise" ("person_id");
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "promise";
DROP TABLE IF EXISTS "pledge_click";
DROP TABLE IF EXISTS "campaign";"""
