"""One mail for a person's communities: their choice of one digest mail or one per community, and which digests were
opened (one of their links used; no pixel) for the report."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
CREATE TABLE "digest_mode" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "separate" INT NOT NULL DEFAULT 0,
    "person_id" INT NOT NULL UNIQUE REFERENCES "person" ("id") ON DELETE CASCADE
) /* A person's choice of one mail for all their communities' digests (no row: combined) or one per community. */;
ALTER TABLE "digest_delivery" ADD "opened" INT NOT NULL DEFAULT 0;
"""

POSTGRES = """
CREATE TABLE "digest_mode" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "separate" BOOL NOT NULL DEFAULT False,
    "person_id" INT NOT NULL UNIQUE REFERENCES "person" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "digest_mode" IS 'A person''s choice of one mail for all their communities'' digests (no row: combined) or one per community.';
ALTER TABLE "digest_delivery" ADD "opened" BOOL NOT NULL DEFAULT False;
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return 'DROP TABLE IF EXISTS "digest_mode"; ALTER TABLE "digest_delivery" DROP COLUMN "opened";'
