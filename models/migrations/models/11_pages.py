"""Public pages: a community turns them on (off by default)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    if db.capabilities.dialect == "postgres":
        return 'ALTER TABLE "community" ADD "pages" BOOL NOT NULL DEFAULT FALSE;'
    return 'ALTER TABLE "community" ADD "pages" INT NOT NULL DEFAULT 0;'


async def downgrade(db: BaseDBAsyncClient) -> str:
    return 'ALTER TABLE "community" DROP COLUMN "pages";'
