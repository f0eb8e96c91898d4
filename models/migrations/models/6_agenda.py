"""The facilitator's hour: prompts, the agenda's settings, meetings, announcements; a person's absence."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
ALTER TABLE "person" ADD "away_until" DATE;
CREATE TABLE "prompt" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "batch" VARCHAR(64) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "asked_at" TIMESTAMP NOT NULL,
    "reminded_at" TIMESTAMP,
    "answered_at" TIMESTAMP,
    "answer" TEXT NOT NULL,
    "step_text" TEXT NOT NULL,
    "step_due" DATE,
    "dated" INT NOT NULL,
    "on_list" INT,
    "summarized" INT NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    "asked_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "step_id" INT REFERENCES "next_step" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_prompt_batch_project_person" UNIQUE ("batch", "project_id", "person_id")
) /* The method's three questions asked to one referent about one project. */;
CREATE INDEX "idx_prompt_batch" ON "prompt" ("batch");
CREATE INDEX "idx_prompt_status" ON "prompt" ("status");
CREATE INDEX "idx_prompt_asked_at" ON "prompt" ("asked_at");
CREATE TABLE "agenda_settings" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "weekday" SMALLINT NOT NULL,
    "hour" SMALLINT NOT NULL,
    "minute" SMALLINT NOT NULL,
    "auto_prompt" INT NOT NULL,
    "community_id" INT NOT NULL UNIQUE REFERENCES "community" ("id") ON DELETE CASCADE
) /* When a community's agenda goes to its facilitators, and whether it sends the prompts itself. */;
CREATE TABLE "meeting" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "starts_at" TIMESTAMP NOT NULL,
    "place" VARCHAR(200) NOT NULL,
    "cancelled" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL
) /* A general meeting of the community. */;
CREATE INDEX "idx_meeting_starts_at" ON "meeting" ("starts_at");
CREATE TABLE "announcement" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "item_id" BIGINT NOT NULL,
    "channel" VARCHAR(16) NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_announcement_kind_item_channel" UNIQUE ("kind", "item_id", "channel")
) /* A news item or next step posted to the community's list or rooms. */;
-- The agenda reads projects by community and their steps, news, follows, prompts and referents' accounts by
-- project or person: the foreign keys get their indexes (SQLite and PostgreSQL index none by themselves).
CREATE INDEX IF NOT EXISTS "idx_project_community" ON "project" ("community_id");
CREATE INDEX IF NOT EXISTS "idx_next_step_project" ON "next_step" ("project_id");
CREATE INDEX IF NOT EXISTS "idx_news_item_project" ON "news_item" ("project_id");
CREATE INDEX IF NOT EXISTS "idx_follow_project" ON "follow" ("project_id");
CREATE INDEX IF NOT EXISTS "idx_account_person" ON "account" ("person_id");
CREATE INDEX IF NOT EXISTS "idx_membership_community" ON "membership" ("community_id", "role");
CREATE INDEX IF NOT EXISTS "idx_project_referent_person" ON "project_referent" ("person_id");
CREATE INDEX IF NOT EXISTS "idx_prompt_project" ON "prompt" ("project_id", "status");
CREATE INDEX IF NOT EXISTS "idx_prompt_person" ON "prompt" ("person_id", "status");
CREATE INDEX IF NOT EXISTS "idx_announcement_community" ON "announcement" ("community_id", "at");
"""

POSTGRES = """
ALTER TABLE "person" ADD "away_until" DATE;
CREATE TABLE "prompt" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "batch" VARCHAR(64) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "asked_at" TIMESTAMPTZ NOT NULL,
    "reminded_at" TIMESTAMPTZ,
    "answered_at" TIMESTAMPTZ,
    "answer" TEXT NOT NULL,
    "step_text" TEXT NOT NULL,
    "step_due" DATE,
    "dated" BOOL NOT NULL,
    "on_list" BOOL,
    "summarized" BOOL NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    "asked_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "step_id" INT REFERENCES "next_step" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_prompt_batch_project_person" UNIQUE ("batch", "project_id", "person_id")
);
CREATE INDEX "idx_prompt_batch" ON "prompt" ("batch");
CREATE INDEX "idx_prompt_status" ON "prompt" ("status");
CREATE INDEX "idx_prompt_asked_at" ON "prompt" ("asked_at");
COMMENT ON TABLE "prompt" IS 'The method''s three questions asked to one referent about one project.';
CREATE TABLE "agenda_settings" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "weekday" SMALLINT NOT NULL,
    "hour" SMALLINT NOT NULL,
    "minute" SMALLINT NOT NULL,
    "auto_prompt" BOOL NOT NULL,
    "community_id" INT NOT NULL UNIQUE REFERENCES "community" ("id") ON DELETE CASCADE
);
CREATE TABLE "meeting" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "starts_at" TIMESTAMPTZ NOT NULL,
    "place" VARCHAR(200) NOT NULL,
    "cancelled" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL
);
CREATE INDEX "idx_meeting_starts_at" ON "meeting" ("starts_at");
CREATE TABLE "announcement" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(16) NOT NULL,
    "item_id" BIGINT NOT NULL,
    "channel" VARCHAR(16) NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_announcement_kind_item_channel" UNIQUE ("kind", "item_id", "channel")
);
-- The agenda reads projects by community and their steps, news, follows, prompts and referents' accounts by
-- project or person: the foreign keys get their indexes (SQLite and PostgreSQL index none by themselves).
CREATE INDEX IF NOT EXISTS "idx_project_community" ON "project" ("community_id");
CREATE INDEX IF NOT EXISTS "idx_next_step_project" ON "next_step" ("project_id");
CREATE INDEX IF NOT EXISTS "idx_news_item_project" ON "news_item" ("project_id");
CREATE INDEX IF NOT EXISTS "idx_follow_project" ON "follow" ("project_id");
CREATE INDEX IF NOT EXISTS "idx_account_person" ON "account" ("person_id");
CREATE INDEX IF NOT EXISTS "idx_membership_community" ON "membership" ("community_id", "role");
CREATE INDEX IF NOT EXISTS "idx_project_referent_person" ON "project_referent" ("person_id");
CREATE INDEX IF NOT EXISTS "idx_prompt_project" ON "prompt" ("project_id", "status");
CREATE INDEX IF NOT EXISTS "idx_prompt_person" ON "prompt" ("person_id", "status");
CREATE INDEX IF NOT EXISTS "idx_announcement_community" ON "announcement" ("community_id", "at");
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "announcement";
DROP TABLE IF EXISTS "meeting";
DROP TABLE IF EXISTS "agenda_settings";
DROP TABLE IF EXISTS "prompt";
DROP INDEX IF EXISTS "idx_project_community";
DROP INDEX IF EXISTS "idx_next_step_project";
DROP INDEX IF EXISTS "idx_news_item_project";
DROP INDEX IF EXISTS "idx_follow_project";
DROP INDEX IF EXISTS "idx_account_person";
DROP INDEX IF EXISTS "idx_membership_community";
DROP INDEX IF EXISTS "idx_project_referent_person";"""
