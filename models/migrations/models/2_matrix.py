"""Matrix adapter tables (direct chats, choices offered); the SQL is frozen per dialect like 0_init."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
CREATE TABLE IF NOT EXISTS "matrix_direct" (
    "room_id" VARCHAR(255) NOT NULL PRIMARY KEY,
    "user_id" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMP NOT NULL
) /* A 1:1 room between Relais and one Matrix user: where that user's notifications go. */;
CREATE INDEX IF NOT EXISTS "idx_matrix_dire_user_id_e1e99e" ON "matrix_direct" ("user_id");
CREATE TABLE IF NOT EXISTS "matrix_prompt" (
    "event_id" VARCHAR(255) NOT NULL PRIMARY KEY,
    "room_id" VARCHAR(255) NOT NULL,
    "user_id" VARCHAR(255) NOT NULL,
    "choices" JSON NOT NULL,
    "created_at" TIMESTAMP NOT NULL
) /* A message Relais sent to a user in a room, with the choices a number or a keycap reaction stands for. */;
CREATE INDEX IF NOT EXISTS "idx_matrix_prom_created_c35e4d" ON "matrix_prompt" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_matrix_prom_room_id_5297ce" ON "matrix_prompt" ("room_id", "user_id");
"""

POSTGRES = """
CREATE TABLE IF NOT EXISTS "matrix_direct" (
    "room_id" VARCHAR(255) NOT NULL PRIMARY KEY,
    "user_id" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_matrix_dire_user_id_e1e99e" ON "matrix_direct" ("user_id");
COMMENT ON TABLE "matrix_direct" IS 'A 1:1 room between Relais and one Matrix user: where that user''s notifications go.';
CREATE TABLE IF NOT EXISTS "matrix_prompt" (
    "event_id" VARCHAR(255) NOT NULL PRIMARY KEY,
    "room_id" VARCHAR(255) NOT NULL,
    "user_id" VARCHAR(255) NOT NULL,
    "choices" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_matrix_prom_created_c35e4d" ON "matrix_prompt" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_matrix_prom_room_id_5297ce" ON "matrix_prompt" ("room_id", "user_id");
COMMENT ON TABLE "matrix_prompt" IS 'A message Relais sent to a user in a room, with the choices a number or a keycap reaction stands for.';
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return 'DROP TABLE IF EXISTS "matrix_prompt"; DROP TABLE IF EXISTS "matrix_direct";'
