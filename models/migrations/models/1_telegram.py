"""Telegram adapter table (the choices behind inline buttons); the SQL is frozen per dialect like 0_init."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
CREATE TABLE IF NOT EXISTS "telegram_keyboard" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "digest" VARCHAR(64) NOT NULL UNIQUE,
    "choices" JSON NOT NULL,
    "created_at" TIMESTAMP NOT NULL
) /* The [label, command] pairs of one keyboard; shared by every message showing the same choices. */;
CREATE INDEX IF NOT EXISTS "idx_telegram_ke_created_f421f5" ON "telegram_keyboard" ("created_at");
"""

POSTGRES = """
CREATE TABLE IF NOT EXISTS "telegram_keyboard" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "digest" VARCHAR(64) NOT NULL UNIQUE,
    "choices" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_telegram_ke_created_f421f5" ON "telegram_keyboard" ("created_at");
COMMENT ON TABLE "telegram_keyboard" IS 'The [label, command] pairs of one keyboard; shared by every message showing the same choices.';
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return 'DROP TABLE IF EXISTS "telegram_keyboard";'
