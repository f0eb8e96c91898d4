"""One output road: a notification's platform calls stored on its outbox row before the first is made, and how many
are made, so a retry or a restart carries on after the last one (in place of Telegram's own `telegram:outbox:<id>`)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

_COLUMNS = """
ALTER TABLE "outbox_message" ADD "plan" {json};
ALTER TABLE "outbox_message" ADD "done" INT NOT NULL DEFAULT 0;
"""

SQLITE = _COLUMNS.format(json="JSON")
POSTGRES = _COLUMNS.format(json="JSONB")


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return 'ALTER TABLE "outbox_message" DROP COLUMN "done";\nALTER TABLE "outbox_message" DROP COLUMN "plan";'
