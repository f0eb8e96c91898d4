"""Several processes on one database: a heartbeat row per process, roles held by lease, the inbox's claimer."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
CREATE TABLE "relais_process" (
    "id" VARCHAR(32) NOT NULL PRIMARY KEY,
    "host" VARCHAR(255) NOT NULL,
    "pid" INT NOT NULL,
    "started_at" TIMESTAMP NOT NULL,
    "seen_at" TIMESTAMP NOT NULL
) /* A running service and its heartbeat. */;
CREATE INDEX "idx_relais_process_seen_at" ON "relais_process" ("seen_at");
CREATE TABLE "process_role" (
    "role" VARCHAR(32) NOT NULL PRIMARY KEY,
    "holder" VARCHAR(32) NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "taken_at" TIMESTAMP NOT NULL
) /* A single-consumer job and the process holding its lease. */;
ALTER TABLE "inbound_event" ADD "claimed_by" VARCHAR(32);
"""

POSTGRES = """
CREATE TABLE "relais_process" (
    "id" VARCHAR(32) NOT NULL PRIMARY KEY,
    "host" VARCHAR(255) NOT NULL,
    "pid" INT NOT NULL,
    "started_at" TIMESTAMPTZ NOT NULL,
    "seen_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX "idx_relais_process_seen_at" ON "relais_process" ("seen_at");
COMMENT ON TABLE "relais_process" IS 'A running service and its heartbeat.';
CREATE TABLE "process_role" (
    "role" VARCHAR(32) NOT NULL PRIMARY KEY,
    "holder" VARCHAR(32) NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "taken_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE "process_role" IS 'A single-consumer job and the process holding its lease.';
ALTER TABLE "inbound_event" ADD "claimed_by" VARCHAR(32);
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "inbound_event" DROP COLUMN "claimed_by";
DROP TABLE IF EXISTS "process_role";
DROP TABLE IF EXISTS "relais_process";"""
