"""Members talk back: comments, questions and offers to a project's referents, what Relais' messages were about,
and people whose messages are no longer forwarded."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
CREATE TABLE "comment" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "number" INT NOT NULL,
    "kind" VARCHAR(16) NOT NULL DEFAULT 'comment',
    "about_kind" VARCHAR(16) NOT NULL DEFAULT '',
    "about_id" INT,
    "about_text" TEXT NOT NULL DEFAULT '',
    "text" TEXT NOT NULL,
    "origin" JSON NOT NULL,
    "in_group" INT NOT NULL DEFAULT 0,
    "answer" TEXT NOT NULL DEFAULT '',
    "answered_at" TIMESTAMP,
    "hidden_at" TIMESTAMP,
    "consent" VARCHAR(16) NOT NULL DEFAULT '',
    "publish_wanted" INT NOT NULL DEFAULT 0,
    "published_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT REFERENCES "project" ("id") ON DELETE CASCADE,
    "author_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "answered_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_comment_community_number" UNIQUE ("community_id", "number")
) /* What a member wrote to a project's referents, and the answer. */;
CREATE INDEX "idx_comment_created_at" ON "comment" ("created_at");
CREATE INDEX "idx_comment_project" ON "comment" ("project_id", "answered_at");
CREATE INDEX "idx_comment_author" ON "comment" ("author_id", "created_at");
CREATE TABLE "message_topic" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "key" VARCHAR(400) NOT NULL,
    "items" JSON NOT NULL,
    "created_at" TIMESTAMP NOT NULL
) /* What a message Relais sent was about. */;
CREATE INDEX "idx_message_topic_key" ON "message_topic" ("key");
CREATE INDEX "idx_message_topic_created_at" ON "message_topic" ("created_at");
CREATE TABLE "comment_block" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    "by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_comment_block_community_person" UNIQUE ("community_id", "person_id")
) /* Whose messages to the referents are no longer forwarded. */;
"""

POSTGRES = """
CREATE TABLE "comment" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "number" INT NOT NULL,
    "kind" VARCHAR(16) NOT NULL DEFAULT 'comment',
    "about_kind" VARCHAR(16) NOT NULL DEFAULT '',
    "about_id" INT,
    "about_text" TEXT NOT NULL DEFAULT '',
    "text" TEXT NOT NULL,
    "origin" JSONB NOT NULL,
    "in_group" BOOL NOT NULL DEFAULT FALSE,
    "answer" TEXT NOT NULL DEFAULT '',
    "answered_at" TIMESTAMPTZ,
    "hidden_at" TIMESTAMPTZ,
    "consent" VARCHAR(16) NOT NULL DEFAULT '',
    "publish_wanted" BOOL NOT NULL DEFAULT FALSE,
    "published_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT REFERENCES "project" ("id") ON DELETE CASCADE,
    "author_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "answered_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_comment_community_number" UNIQUE ("community_id", "number")
);
COMMENT ON TABLE "comment" IS 'What a member wrote to a project''s referents, and the answer.';
CREATE INDEX "idx_comment_created_at" ON "comment" ("created_at");
CREATE INDEX "idx_comment_project" ON "comment" ("project_id", "answered_at");
CREATE INDEX "idx_comment_author" ON "comment" ("author_id", "created_at");
CREATE TABLE "message_topic" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "key" VARCHAR(400) NOT NULL,
    "items" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE "message_topic" IS 'What a message Relais sent was about.';
CREATE INDEX "idx_message_topic_key" ON "message_topic" ("key");
CREATE INDEX "idx_message_topic_created_at" ON "message_topic" ("created_at");
CREATE TABLE "comment_block" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    "by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_comment_block_community_person" UNIQUE ("community_id", "person_id")
);
COMMENT ON TABLE "comment_block" IS 'Whose messages to the referents are no longer forwarded.';
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "comment_block";
DROP TABLE IF EXISTS "message_topic";
DROP TABLE IF EXISTS "comment";"""
