"""The weekly digest: schedules, choices, one delivery record per person and week, job runs."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
CREATE TABLE "digest_schedule" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "weekday" SMALLINT NOT NULL,
    "hour" SMALLINT NOT NULL,
    "minute" SMALLINT NOT NULL,
    "room_summary" INT NOT NULL,
    "community_id" INT NOT NULL UNIQUE REFERENCES "community" ("id") ON DELETE CASCADE
) /* When a community's digest goes out, in the community's time zone (default Monday 08:00). */;
CREATE TABLE "job_run" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "key" VARCHAR(200) NOT NULL UNIQUE,
    "due_at" TIMESTAMP NOT NULL,
    "started_at" TIMESTAMP NOT NULL,
    "finished_at" TIMESTAMP,
    "status" VARCHAR(16) NOT NULL,
    "detail" JSON NOT NULL
) /* One run of a scheduled job for one due time; `key` (job:community:week) makes it run once. */;
CREATE TABLE "digest_delivery" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "week" VARCHAR(10) NOT NULL,
    "status" VARCHAR(16) NOT NULL /* CLAIMED: claimed\nSENT: sent\nEMPTY: empty\nFAILED: failed */,
    "claimed_until" TIMESTAMP,
    "claim" VARCHAR(36) NOT NULL,
    "attempts" INT NOT NULL,
    "error" TEXT NOT NULL,
    "message_id" VARCHAR(255) NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_digest_deli_person__e2ace5" UNIQUE ("person_id", "community_id", "week")
) /* Claimed before sending: the unique (person, community, week) is what makes a digest go out once. */;
CREATE INDEX "idx_digest_deli_claim_952171" ON "digest_delivery" ("claim");
CREATE TABLE "digest_subscription" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "enabled" INT NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_digest_subs_person__d96901" UNIQUE ("person_id", "community_id")
) /* A person's choice for one community; without a row, observers get the digest and members do not. */;"""

POSTGRES = """
CREATE TABLE "digest_schedule" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "weekday" SMALLINT NOT NULL,
    "hour" SMALLINT NOT NULL,
    "minute" SMALLINT NOT NULL,
    "room_summary" BOOL NOT NULL,
    "community_id" INT NOT NULL UNIQUE REFERENCES "community" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "digest_schedule" IS 'When a community''s digest goes out, in the community''s time zone (default Monday 08:00).';
CREATE TABLE "job_run" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "key" VARCHAR(200) NOT NULL UNIQUE,
    "due_at" TIMESTAMPTZ NOT NULL,
    "started_at" TIMESTAMPTZ NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "status" VARCHAR(16) NOT NULL,
    "detail" JSONB NOT NULL
);
COMMENT ON TABLE "job_run" IS 'One run of a scheduled job for one due time; `key` (job:community:week) makes it run once.';
CREATE TABLE "digest_delivery" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "week" VARCHAR(10) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "claimed_until" TIMESTAMPTZ,
    "claim" VARCHAR(36) NOT NULL,
    "attempts" INT NOT NULL,
    "error" TEXT NOT NULL,
    "message_id" VARCHAR(255) NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_digest_deli_person__e2ace5" UNIQUE ("person_id", "community_id", "week")
);
CREATE INDEX "idx_digest_deli_claim_952171" ON "digest_delivery" ("claim");
COMMENT ON COLUMN "digest_delivery"."status" IS 'CLAIMED: claimed\nSENT: sent\nEMPTY: empty\nFAILED: failed';
COMMENT ON TABLE "digest_delivery" IS 'Claimed before sending: the unique (person, community, week) is what makes a digest go out once.';
CREATE TABLE "digest_subscription" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "enabled" BOOL NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_digest_subs_person__d96901" UNIQUE ("person_id", "community_id")
);
COMMENT ON TABLE "digest_subscription" IS 'A person''s choice for one community; without a row, observers get the digest and members do not.';"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "digest_delivery";
DROP TABLE IF EXISTS "digest_subscription";
DROP TABLE IF EXISTS "digest_schedule";
DROP TABLE IF EXISTS "job_run";"""
