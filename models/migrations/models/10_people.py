"""One person across platforms and their data: a person's time zone, the date an address was confirmed (consent),
link codes and wrong tries, news kept from a former member, addresses to take off the lists."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
ALTER TABLE "person" ADD "timezone" VARCHAR(64);
ALTER TABLE "account" ADD "confirmed_at" TIMESTAMP;
ALTER TABLE "news_item" ADD "former_author" INT NOT NULL DEFAULT 0;
CREATE TABLE "link_code" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "code" VARCHAR(6) NOT NULL UNIQUE,
    "created_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    "account_id" INT NOT NULL REFERENCES "account" ("id") ON DELETE CASCADE
) /* A 6-digit code from `link`, single use. */;
CREATE INDEX "idx_link_code_expires_at" ON "link_code" ("expires_at");
CREATE INDEX "idx_link_code_person" ON "link_code" ("person_id");
CREATE TABLE "link_attempt" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "failures" INT NOT NULL DEFAULT 0,
    "last_failure_at" TIMESTAMP,
    "locked_until" TIMESTAMP,
    "account_id" INT NOT NULL UNIQUE REFERENCES "account" ("id") ON DELETE CASCADE
) /* Wrong codes typed from one account. */;
CREATE TABLE "mail_list_departure" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "address" VARCHAR(320) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE
) /* An address to take off a community's list. */;
"""

POSTGRES = """
ALTER TABLE "person" ADD "timezone" VARCHAR(64);
ALTER TABLE "account" ADD "confirmed_at" TIMESTAMPTZ;
ALTER TABLE "news_item" ADD "former_author" BOOL NOT NULL DEFAULT FALSE;
CREATE TABLE "link_code" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "code" VARCHAR(6) NOT NULL UNIQUE,
    "created_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    "account_id" INT NOT NULL REFERENCES "account" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_link_code_expires_at" ON "link_code" ("expires_at");
CREATE INDEX "idx_link_code_person" ON "link_code" ("person_id");
CREATE TABLE "link_attempt" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "failures" INT NOT NULL DEFAULT 0,
    "last_failure_at" TIMESTAMPTZ,
    "locked_until" TIMESTAMPTZ,
    "account_id" INT NOT NULL UNIQUE REFERENCES "account" ("id") ON DELETE CASCADE
);
CREATE TABLE "mail_list_departure" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "address" VARCHAR(320) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE
);
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "mail_list_departure";
DROP TABLE IF EXISTS "link_attempt";
DROP TABLE IF EXISTS "link_code";
ALTER TABLE "news_item" DROP COLUMN "former_author";
ALTER TABLE "account" DROP COLUMN "confirmed_at";
ALTER TABLE "person" DROP COLUMN "timezone";"""
