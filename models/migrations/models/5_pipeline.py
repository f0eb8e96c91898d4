"""One pipeline for every channel: the inbox's lanes and leases, the choice memory, pending questions, topics."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
ALTER TABLE "inbound_event" ADD "lane" VARCHAR(340) NOT NULL DEFAULT '';
ALTER TABLE "inbound_event" ADD "state" JSON NOT NULL DEFAULT '{}';
ALTER TABLE "inbound_event" ADD "claimed_until" TIMESTAMP;
ALTER TABLE "chat_binding" ADD "thread" VARCHAR(64);
CREATE TABLE "choice_set" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "digest" VARCHAR(64) NOT NULL UNIQUE,
    "choices" JSON NOT NULL,
    "created_at" TIMESTAMP NOT NULL
) /* The [label, command] pairs of one reply's choices, stored once per distinct set. */;
CREATE INDEX "idx_choice_set_created_at" ON "choice_set" ("created_at");
CREATE TABLE "choice_offer" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "conversation" VARCHAR(340) NOT NULL,
    "ref" VARCHAR(255),
    "created_at" TIMESTAMP NOT NULL,
    "choice_set_id" BIGINT NOT NULL REFERENCES "choice_set" ("id") ON DELETE CASCADE
) /* A set of choices offered in one conversation, or on one message. */;
CREATE INDEX "idx_choice_offer_conversation" ON "choice_offer" ("conversation");
CREATE INDEX "idx_choice_offer_ref" ON "choice_offer" ("ref");
CREATE INDEX "idx_choice_offer_created_at" ON "choice_offer" ("created_at");
CREATE TABLE "pending_question" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "conversation" VARCHAR(340) NOT NULL,
    "handler" VARCHAR(100) NOT NULL,
    "data" JSON NOT NULL,
    "prompt" TEXT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "community_id" INT REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL UNIQUE REFERENCES "person" ("id") ON DELETE CASCADE
) /* A question Relais asked a person; their next message in a direct chat (or a mail) is its answer. */;
CREATE INDEX "idx_pending_question_expires_at" ON "pending_question" ("expires_at");
DROP TABLE IF EXISTS "telegram_keyboard";
DROP TABLE IF EXISTS "matrix_prompt";"""

POSTGRES = """
ALTER TABLE "inbound_event" ADD "lane" VARCHAR(340) NOT NULL DEFAULT '';
ALTER TABLE "inbound_event" ADD "state" JSONB NOT NULL DEFAULT '{}';
ALTER TABLE "inbound_event" ADD "claimed_until" TIMESTAMPTZ;
ALTER TABLE "chat_binding" ADD "thread" VARCHAR(64);
CREATE TABLE "choice_set" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "digest" VARCHAR(64) NOT NULL UNIQUE,
    "choices" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX "idx_choice_set_created_at" ON "choice_set" ("created_at");
COMMENT ON TABLE "choice_set" IS 'The [label, command] pairs of one reply''s choices, stored once per distinct set.';
CREATE TABLE "choice_offer" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "conversation" VARCHAR(340) NOT NULL,
    "ref" VARCHAR(255),
    "created_at" TIMESTAMPTZ NOT NULL,
    "choice_set_id" BIGINT NOT NULL REFERENCES "choice_set" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_choice_offer_conversation" ON "choice_offer" ("conversation");
CREATE INDEX "idx_choice_offer_ref" ON "choice_offer" ("ref");
CREATE INDEX "idx_choice_offer_created_at" ON "choice_offer" ("created_at");
COMMENT ON TABLE "choice_offer" IS 'A set of choices offered in one conversation, or on one message.';
CREATE TABLE "pending_question" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "conversation" VARCHAR(340) NOT NULL,
    "handler" VARCHAR(100) NOT NULL,
    "data" JSONB NOT NULL,
    "prompt" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL UNIQUE REFERENCES "person" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_pending_question_expires_at" ON "pending_question" ("expires_at");
COMMENT ON TABLE "pending_question" IS 'A question Relais asked a person; their next message in a direct chat (or a mail) is its answer.';
DROP TABLE IF EXISTS "telegram_keyboard";
DROP TABLE IF EXISTS "matrix_prompt";"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "pending_question";
DROP TABLE IF EXISTS "choice_offer";
DROP TABLE IF EXISTS "choice_set";"""
