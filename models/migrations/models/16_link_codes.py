"""Link codes that cannot be guessed: a longer code whose second part is checked against a hash, 3 wrong tries kill a
code, and wrong tries counted per platform."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
DELETE FROM "link_code";
ALTER TABLE "link_code" ADD "secret" VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE "link_code" ADD "failures" INT NOT NULL DEFAULT 0;
CREATE TABLE "link_try" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "platform" VARCHAR(16) NOT NULL,
    "at" TIMESTAMP NOT NULL
) /* A wrong link code typed on a platform. */;
CREATE INDEX "idx_link_try_at" ON "link_try" ("at");
"""

POSTGRES = """
DELETE FROM "link_code";
ALTER TABLE "link_code" ALTER COLUMN "code" TYPE VARCHAR(16);
ALTER TABLE "link_code" ADD "secret" VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE "link_code" ADD "failures" INT NOT NULL DEFAULT 0;
CREATE TABLE "link_try" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "platform" VARCHAR(16) NOT NULL,
    "at" TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE "link_try" IS 'A wrong link code typed on a platform.';
CREATE INDEX "idx_link_try_at" ON "link_try" ("at");
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    if db.capabilities.dialect == "postgres":
        return """
DROP TABLE IF EXISTS "link_try";
DELETE FROM "link_code";
ALTER TABLE "link_code" DROP COLUMN "failures";
ALTER TABLE "link_code" DROP COLUMN "secret";
ALTER TABLE "link_code" ALTER COLUMN "code" TYPE VARCHAR(6);"""
    return """
DROP TABLE IF EXISTS "link_try";
DELETE FROM "link_code";
ALTER TABLE "link_code" DROP COLUMN "failures";
ALTER TABLE "link_code" DROP COLUMN "secret";"""
