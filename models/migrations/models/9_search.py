"""Search: the list posts Relais reads, one row per searchable item, and the text index (FTS5 on SQLite, a tsvector
with a GIN index on PostgreSQL). `bot.db.migrate` fills the index from the existing items once this is applied: the
words are stemmed in Python for SQLite, which plain SQL cannot do."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
CREATE TABLE "mail_list_message" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "address" VARCHAR(320) NOT NULL,
    "author" VARCHAR(200) NOT NULL DEFAULT '',
    "subject" VARCHAR(300) NOT NULL DEFAULT '',
    "excerpt" TEXT NOT NULL DEFAULT '',
    "message_id" VARCHAR(255),
    "archive_url" VARCHAR(500) NOT NULL DEFAULT '',
    "posted_at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_mail_list_message_community_message" UNIQUE ("community_id", "message_id")
) /* A post read on a community's list: subject and excerpt. */;
CREATE INDEX "idx_mail_list_message_posted_at" ON "mail_list_message" ("posted_at");
CREATE TABLE "search_doc" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "item_id" BIGINT NOT NULL,
    "heading" VARCHAR(300) NOT NULL DEFAULT '',
    "author" VARCHAR(200) NOT NULL DEFAULT '',
    "excerpt" TEXT NOT NULL DEFAULT '',
    "at" TIMESTAMP NOT NULL,
    "staff" INT NOT NULL DEFAULT 0,
    "opens" VARCHAR(200) NOT NULL DEFAULT '',
    "url" VARCHAR(500) NOT NULL DEFAULT '',
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT REFERENCES "project" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_search_doc_kind_item" UNIQUE ("kind", "item_id")
) /* One searchable item of a community, as a result shows it. */;
CREATE INDEX "idx_search_doc_community" ON "search_doc" ("community_id");
CREATE VIRTUAL TABLE "search_fts" USING fts5("scope", "title", "body", "context", tokenize = 'unicode61 remove_diacritics 2');
"""

POSTGRES = """
CREATE TABLE "mail_list_message" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "address" VARCHAR(320) NOT NULL,
    "author" VARCHAR(200) NOT NULL DEFAULT '',
    "subject" VARCHAR(300) NOT NULL DEFAULT '',
    "excerpt" TEXT NOT NULL DEFAULT '',
    "message_id" VARCHAR(255),
    "archive_url" VARCHAR(500) NOT NULL DEFAULT '',
    "posted_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_mail_list_message_community_message" UNIQUE ("community_id", "message_id")
);
CREATE INDEX "idx_mail_list_message_posted_at" ON "mail_list_message" ("posted_at");
CREATE TABLE "search_doc" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(16) NOT NULL,
    "item_id" BIGINT NOT NULL,
    "heading" VARCHAR(300) NOT NULL DEFAULT '',
    "author" VARCHAR(200) NOT NULL DEFAULT '',
    "excerpt" TEXT NOT NULL DEFAULT '',
    "at" TIMESTAMPTZ NOT NULL,
    "staff" BOOL NOT NULL DEFAULT FALSE,
    "opens" VARCHAR(200) NOT NULL DEFAULT '',
    "url" VARCHAR(500) NOT NULL DEFAULT '',
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT REFERENCES "project" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_search_doc_kind_item" UNIQUE ("kind", "item_id")
);
CREATE INDEX "idx_search_doc_community" ON "search_doc" ("community_id");
CREATE TABLE "search_tsv" (
    "doc_id" BIGINT NOT NULL PRIMARY KEY REFERENCES "search_doc" ("id") ON DELETE CASCADE,
    "community_id" INT NOT NULL,
    "staff" BOOL NOT NULL DEFAULT FALSE,
    "tsv" TSVECTOR NOT NULL
);
CREATE INDEX "idx_search_tsv_tsv" ON "search_tsv" USING GIN ("tsv");
CREATE INDEX "idx_search_tsv_community" ON "search_tsv" ("community_id", "doc_id");
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    index = 'DROP TABLE IF EXISTS "search_tsv";' if db.capabilities.dialect == "postgres" else 'DROP TABLE IF EXISTS "search_fts";'
    return index + """
DROP TABLE IF EXISTS "search_doc";
DROP TABLE IF EXISTS "mail_list_message";"""
