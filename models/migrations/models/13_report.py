"""The impact report's traces: when a person voted (not what), and the signed links used (no tracking pixels)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
ALTER TABLE "poll_voter" ADD "at" TIMESTAMP;
CREATE TABLE "link_use" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "kind" VARCHAR(32) NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "community_id" INT REFERENCES "community" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_link_use_community_at" ON "link_use" ("community_id", "at");
"""

POSTGRES = """
ALTER TABLE "poll_voter" ADD "at" TIMESTAMPTZ;
CREATE TABLE "link_use" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(32) NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    "community_id" INT REFERENCES "community" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_link_use_community_at" ON "link_use" ("community_id", "at");
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "link_use";
ALTER TABLE "poll_voter" DROP COLUMN "at";"""
