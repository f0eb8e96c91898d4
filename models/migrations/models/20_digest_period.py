"""The digest's period: each delivery records where the period it covered ends, so that a reader's next digest starts
exactly there (no item in two digests, none in no digest, whatever the schedule or a week missed)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    kind = "TIMESTAMPTZ" if db.capabilities.dialect == "postgres" else "TIMESTAMP"
    return f'ALTER TABLE "digest_delivery" ADD "period_end" {kind};'


async def downgrade(db: BaseDBAsyncClient) -> str:
    return 'ALTER TABLE "digest_delivery" DROP COLUMN "period_end";'
