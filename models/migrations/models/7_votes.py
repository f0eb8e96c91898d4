"""Votes: polls, ballots (one per voter), who voted, native polls on the platforms; meeting answers and reminders."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
ALTER TABLE "meeting" ADD "reminded_week_at" TIMESTAMP;
ALTER TABLE "meeting" ADD "reminded_day_at" TIMESTAMP;
ALTER TABLE "mail_list" ADD "meeting_cursor" INT NOT NULL DEFAULT 0;
CREATE TABLE "vote_poll" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "number" INT NOT NULL,
    "question" VARCHAR(300) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "options" JSON NOT NULL,
    "secret" INT NOT NULL,
    "hidden" INT NOT NULL,
    "salt" VARCHAR(64) NOT NULL,
    "for_meeting" INT NOT NULL,
    "posted_in" VARCHAR(340) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "closes_at" TIMESTAMP,
    "closed_at" TIMESTAMP,
    "nudged_at" TIMESTAMP,
    "results" JSON,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_vote_poll_community_number" UNIQUE ("community_id", "number")
) /* A poll of a community, numbered in it. */;
CREATE INDEX "idx_vote_poll_closes_at" ON "vote_poll" ("closes_at");
CREATE TABLE "ballot" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "voter" VARCHAR(64) NOT NULL,
    "choice" JSON NOT NULL,
    "cast_at" TIMESTAMP NOT NULL,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ballot_poll_voter" UNIQUE ("poll_id", "voter")
) /* One ballot per voter and poll, replaced when they vote again. */;
CREATE TABLE "poll_voter" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "platform" VARCHAR(16) NOT NULL,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_poll_voter_poll_person" UNIQUE ("poll_id", "person_id")
) /* Who has voted, not what. */;
CREATE TABLE "native_poll" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "platform" VARCHAR(16) NOT NULL,
    "chat" VARCHAR(340) NOT NULL,
    "native_id" VARCHAR(255) NOT NULL,
    "message_id" VARCHAR(255) NOT NULL,
    "vote" VARCHAR(200) NOT NULL,
    "options" INT NOT NULL,
    "closed" INT NOT NULL,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_native_poll_platform_native" UNIQUE ("platform", "native_id")
) /* A poll as a platform shows it natively. */;
CREATE INDEX "idx_native_poll_poll" ON "native_poll" ("poll_id");
CREATE TABLE "meeting_answer" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "coming" INT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "meeting_id" INT NOT NULL REFERENCES "meeting" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_meeting_answer_meeting_person" UNIQUE ("meeting_id", "person_id")
) /* A member's coming / not coming. */;
"""

POSTGRES = """
ALTER TABLE "meeting" ADD "reminded_week_at" TIMESTAMPTZ;
ALTER TABLE "meeting" ADD "reminded_day_at" TIMESTAMPTZ;
ALTER TABLE "mail_list" ADD "meeting_cursor" INT NOT NULL DEFAULT 0;
CREATE TABLE "vote_poll" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "number" INT NOT NULL,
    "question" VARCHAR(300) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "options" JSONB NOT NULL,
    "secret" BOOL NOT NULL,
    "hidden" BOOL NOT NULL,
    "salt" VARCHAR(64) NOT NULL,
    "for_meeting" BOOL NOT NULL,
    "posted_in" VARCHAR(340) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "closes_at" TIMESTAMPTZ,
    "closed_at" TIMESTAMPTZ,
    "nudged_at" TIMESTAMPTZ,
    "results" JSONB,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_vote_poll_community_number" UNIQUE ("community_id", "number")
);
CREATE INDEX "idx_vote_poll_closes_at" ON "vote_poll" ("closes_at");
CREATE TABLE "ballot" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "voter" VARCHAR(64) NOT NULL,
    "choice" JSONB NOT NULL,
    "cast_at" TIMESTAMPTZ NOT NULL,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ballot_poll_voter" UNIQUE ("poll_id", "voter")
);
CREATE TABLE "poll_voter" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "platform" VARCHAR(16) NOT NULL,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_poll_voter_poll_person" UNIQUE ("poll_id", "person_id")
);
CREATE TABLE "native_poll" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "platform" VARCHAR(16) NOT NULL,
    "chat" VARCHAR(340) NOT NULL,
    "native_id" VARCHAR(255) NOT NULL,
    "message_id" VARCHAR(255) NOT NULL,
    "vote" VARCHAR(200) NOT NULL,
    "options" INT NOT NULL,
    "closed" BOOL NOT NULL,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_native_poll_platform_native" UNIQUE ("platform", "native_id")
);
CREATE INDEX "idx_native_poll_poll" ON "native_poll" ("poll_id");
CREATE TABLE "meeting_answer" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "coming" BOOL NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    "meeting_id" INT NOT NULL REFERENCES "meeting" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_meeting_answer_meeting_person" UNIQUE ("meeting_id", "person_id")
);
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "meeting_answer";
DROP TABLE IF EXISTS "native_poll";
DROP TABLE IF EXISTS "poll_voter";
DROP TABLE IF EXISTS "ballot";
DROP TABLE IF EXISTS "vote_poll";
ALTER TABLE "mail_list" DROP COLUMN "meeting_cursor";"""
