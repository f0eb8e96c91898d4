"""Matrix end-to-end encryption: whether the direct chats Relais opens for a community are encrypted (on by default, as
Element's are), and the backup of the Matrix crypto store, encrypted with a key derived from RELAIS_SECRET_KEY."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
ALTER TABLE "community" ADD "matrix_encryption" INT NOT NULL DEFAULT 1;
CREATE TABLE "matrix_keys" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "user_id" VARCHAR(255) NOT NULL,
    "device_id" VARCHAR(255) NOT NULL,
    "data" TEXT NOT NULL,
    "digest" VARCHAR(64) NOT NULL,
    "saved_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_matrix_keys_user_device" UNIQUE ("user_id", "device_id")
) /* The Matrix crypto store of one device, encrypted: what another process or machine needs to read the rooms. */;
"""

POSTGRES = """
ALTER TABLE "community" ADD "matrix_encryption" BOOL NOT NULL DEFAULT TRUE;
CREATE TABLE "matrix_keys" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "user_id" VARCHAR(255) NOT NULL,
    "device_id" VARCHAR(255) NOT NULL,
    "data" TEXT NOT NULL,
    "digest" VARCHAR(64) NOT NULL,
    "saved_at" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "uid_matrix_keys_user_device" UNIQUE ("user_id", "device_id")
);
COMMENT ON TABLE "matrix_keys" IS 'The Matrix crypto store of one device, encrypted: what another process or machine needs to read the rooms.';
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "matrix_keys";
ALTER TABLE "community" DROP COLUMN "matrix_encryption";"""
