"""Email channel tables (inbound mail, outgoing mail, addresses, Mailman lists); SQL frozen per dialect like 0_init."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = r"""
CREATE TABLE IF NOT EXISTS "mail_inbound" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "mail_from" VARCHAR(320) NOT NULL,
    "rcpt_tos" JSON NOT NULL,
    "content" BLOB NOT NULL,
    "size" INT NOT NULL,
    "sender" VARCHAR(320) NOT NULL,
    "status" VARCHAR(16) NOT NULL /* PENDING: pending\nWORKING: working\nHELD: held\nDONE: done\nFAILED: failed */,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMP,
    "claimed_until" TIMESTAMP,
    "progress" JSON NOT NULL,
    "outcome" VARCHAR(64) NOT NULL,
    "last_error" TEXT NOT NULL,
    "received_at" TIMESTAMP NOT NULL,
    "handled_at" TIMESTAMP
) /* A mail accepted by the gateway, stored raw before the 250, processed afterwards, once. */;
CREATE INDEX IF NOT EXISTS "idx_mail_inboun_sender_e68a30" ON "mail_inbound" ("sender");
CREATE INDEX IF NOT EXISTS "idx_mail_inboun_status_4b1fc3" ON "mail_inbound" ("status");
CREATE TABLE IF NOT EXISTS "mail_address" (
    "address" VARCHAR(320) NOT NULL PRIMARY KEY,
    "bounces" INT NOT NULL,
    "last_bounce_at" TIMESTAMP,
    "disabled" INT NOT NULL,
    "unsubscribed" INT NOT NULL,
    "window_start" TIMESTAMP,
    "replies_in_window" INT NOT NULL
) /* What Relais knows of one address: bounces, one-click unsubscribe, replies sent this hour. */;
CREATE TABLE IF NOT EXISTS "mail_outgoing" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "key" VARCHAR(200) NOT NULL UNIQUE,
    "address" VARCHAR(320) NOT NULL,
    "kind" VARCHAR(32) NOT NULL,
    "payload" JSON NOT NULL,
    "status" VARCHAR(16) NOT NULL /* PENDING: pending\nWORKING: working\nHELD: held\nDONE: done\nFAILED: failed */,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMP NOT NULL,
    "claimed_until" TIMESTAMP,
    "last_error" TEXT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "sent_at" TIMESTAMP
) /* A mail to one address that is not a person delivery (confirmations, command replies), sent with retries. */;
CREATE INDEX IF NOT EXISTS "idx_mail_outgoi_status_424ad6" ON "mail_outgoing" ("status");
CREATE INDEX IF NOT EXISTS "idx_mail_outgoi_next_at_c35e49" ON "mail_outgoing" ("next_attempt_at");
CREATE TABLE IF NOT EXISTS "mail_list_post" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "address" VARCHAR(320) NOT NULL,
    "last_post_at" TIMESTAMP NOT NULL,
    "posts" INT NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_mail_list_p_communi_4c62d4" UNIQUE ("community_id", "address")
) /* The last post of an address on a community's list (read from the list traffic). */;
CREATE TABLE IF NOT EXISTS "mail_list_subscription" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "wanted" INT NOT NULL,
    "address" VARCHAR(320),
    "attempts" INT NOT NULL,
    "last_error" TEXT NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_mail_list_s_communi_fbc951" UNIQUE ("community_id", "person_id")
) /* A person's wish to receive a community's list (`wanted`) and the address Mailman has for them. */;
CREATE TABLE IF NOT EXISTS "mail_list" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "address" VARCHAR(320) NOT NULL UNIQUE,
    "list_id" VARCHAR(320) NOT NULL,
    "status" VARCHAR(16) NOT NULL /* PENDING: pending\nREADY: ready\nFAILED: failed */,
    "attempts" INT NOT NULL,
    "last_error" TEXT NOT NULL,
    "news_cursor" INT NOT NULL,
    "step_cursor" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "community_id" INT NOT NULL UNIQUE REFERENCES "community" ("id") ON DELETE CASCADE
) /* A community's discussion list on Mailman 3: created, read and posted to by Relais. */;
CREATE INDEX IF NOT EXISTS "idx_mail_list_list_id_c3e824" ON "mail_list" ("list_id");
"""

POSTGRES = r"""
CREATE TABLE IF NOT EXISTS "mail_inbound" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "mail_from" VARCHAR(320) NOT NULL,
    "rcpt_tos" JSONB NOT NULL,
    "content" BYTEA NOT NULL,
    "size" INT NOT NULL,
    "sender" VARCHAR(320) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMPTZ,
    "claimed_until" TIMESTAMPTZ,
    "progress" JSONB NOT NULL,
    "outcome" VARCHAR(64) NOT NULL,
    "last_error" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ NOT NULL,
    "handled_at" TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS "idx_mail_inboun_sender_e68a30" ON "mail_inbound" ("sender");
CREATE INDEX IF NOT EXISTS "idx_mail_inboun_status_4b1fc3" ON "mail_inbound" ("status");
COMMENT ON COLUMN "mail_inbound"."status" IS 'PENDING: pending\nWORKING: working\nHELD: held\nDONE: done\nFAILED: failed';
COMMENT ON TABLE "mail_inbound" IS 'A mail accepted by the gateway, stored raw before the 250, processed afterwards, once.';
CREATE TABLE IF NOT EXISTS "mail_address" (
    "address" VARCHAR(320) NOT NULL PRIMARY KEY,
    "bounces" INT NOT NULL,
    "last_bounce_at" TIMESTAMPTZ,
    "disabled" BOOL NOT NULL,
    "unsubscribed" BOOL NOT NULL,
    "window_start" TIMESTAMPTZ,
    "replies_in_window" INT NOT NULL
);
COMMENT ON TABLE "mail_address" IS 'What Relais knows of one address: bounces, one-click unsubscribe, replies sent this hour.';
CREATE TABLE IF NOT EXISTS "mail_outgoing" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "key" VARCHAR(200) NOT NULL UNIQUE,
    "address" VARCHAR(320) NOT NULL,
    "kind" VARCHAR(32) NOT NULL,
    "payload" JSONB NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMPTZ NOT NULL,
    "claimed_until" TIMESTAMPTZ,
    "last_error" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "sent_at" TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS "idx_mail_outgoi_status_424ad6" ON "mail_outgoing" ("status");
CREATE INDEX IF NOT EXISTS "idx_mail_outgoi_next_at_c35e49" ON "mail_outgoing" ("next_attempt_at");
COMMENT ON COLUMN "mail_outgoing"."status" IS 'PENDING: pending\nWORKING: working\nHELD: held\nDONE: done\nFAILED: failed';
COMMENT ON TABLE "mail_outgoing" IS 'A mail to one address that is not a person delivery (confirmations, command replies), sent with retries.';
CREATE TABLE IF NOT EXISTS "mail_list_post" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "address" VARCHAR(320) NOT NULL,
    "last_post_at" TIMESTAMPTZ NOT NULL,
    "posts" INT NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_mail_list_p_communi_4c62d4" UNIQUE ("community_id", "address")
);
COMMENT ON TABLE "mail_list_post" IS 'The last post of an address on a community''s list (read from the list traffic).';
CREATE TABLE IF NOT EXISTS "mail_list_subscription" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "wanted" BOOL NOT NULL,
    "address" VARCHAR(320),
    "attempts" INT NOT NULL,
    "last_error" TEXT NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_mail_list_s_communi_fbc951" UNIQUE ("community_id", "person_id")
);
COMMENT ON TABLE "mail_list_subscription" IS 'A person''s wish to receive a community''s list (`wanted`) and the address Mailman has for them.';
CREATE TABLE IF NOT EXISTS "mail_list" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "address" VARCHAR(320) NOT NULL UNIQUE,
    "list_id" VARCHAR(320) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "attempts" INT NOT NULL,
    "last_error" TEXT NOT NULL,
    "news_cursor" INT NOT NULL,
    "step_cursor" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "community_id" INT NOT NULL UNIQUE REFERENCES "community" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_mail_list_list_id_c3e824" ON "mail_list" ("list_id");
COMMENT ON COLUMN "mail_list"."status" IS 'PENDING: pending\nREADY: ready\nFAILED: failed';
COMMENT ON TABLE "mail_list" IS 'A community''s discussion list on Mailman 3: created, read and posted to by Relais.';
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return 'DROP TABLE IF EXISTS "mail_list_post"; DROP TABLE IF EXISTS "mail_list_subscription"; DROP TABLE IF EXISTS "mail_list"; DROP TABLE IF EXISTS "mail_address"; DROP TABLE IF EXISTS "mail_outgoing"; DROP TABLE IF EXISTS "mail_inbound";'
