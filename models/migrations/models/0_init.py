"""Initial schema; the SQL is frozen per dialect (SQLite for the embedded mode, PostgreSQL in production)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
        CREATE TABLE IF NOT EXISTS "adapter_state" (
    "key" VARCHAR(200) NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "updated_at" TIMESTAMP NOT NULL
) /* Small persisted values of the adapters: sync tokens, offsets, device ids. */;
CREATE TABLE IF NOT EXISTS "community" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "slug" VARCHAR(64) NOT NULL UNIQUE,
    "name" VARCHAR(200) NOT NULL,
    "locale" VARCHAR(8) NOT NULL,
    "timezone" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS "inbound_event" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "platform" VARCHAR(16) NOT NULL,
    "key" VARCHAR(200) NOT NULL UNIQUE,
    "payload" JSON NOT NULL,
    "status" VARCHAR(16) NOT NULL /* PENDING: pending\nDONE: done\nFAILED: failed */,
    "attempts" INT NOT NULL,
    "last_error" TEXT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "handled_at" TIMESTAMP
) /* A platform event persisted before it is confirmed to the platform, handled once, kept if it fails. */;
CREATE INDEX IF NOT EXISTS "idx_inbound_eve_status_24cfa1" ON "inbound_event" ("status");
CREATE TABLE IF NOT EXISTS "person" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "display_name" VARCHAR(200) NOT NULL,
    "locale" VARCHAR(8),
    "created_at" TIMESTAMP NOT NULL,
    "current_community_id" INT REFERENCES "community" ("id") ON DELETE SET NULL
);
CREATE TABLE IF NOT EXISTS "account" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "platform" VARCHAR(16) NOT NULL,
    "address" VARCHAR(320) NOT NULL,
    "confirmed" INT NOT NULL,
    "reachable" INT NOT NULL,
    "preferred" INT NOT NULL,
    "last_seen" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_account_platfor_ce8d02" UNIQUE ("platform", "address")
) /* One way to reach a person; `preferred` picks the delivery channel, `reachable` is cleared on blocks. */;
CREATE TABLE IF NOT EXISTS "chat_binding" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "platform" VARCHAR(16) NOT NULL,
    "chat_id" VARCHAR(320) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "bound_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_chat_bindin_platfor_94e512" UNIQUE ("platform", "chat_id")
) /* A Telegram group, a Matrix room or a list address that speaks for one community. */;
CREATE TABLE IF NOT EXISTS "membership" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "role" SMALLINT NOT NULL /* OBSERVER: 10\nMEMBER: 20\nREFERENT: 30\nFACILITATOR: 40 */,
    "joined_at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_membership_person__58b2ed" UNIQUE ("person_id", "community_id")
);
CREATE TABLE IF NOT EXISTS "outbox_message" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "key" VARCHAR(200) NOT NULL UNIQUE,
    "kind" VARCHAR(32) NOT NULL,
    "payload" JSON NOT NULL,
    "status" VARCHAR(16) NOT NULL /* PENDING: pending\nSENDING: sending\nSENT: sent */,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMP NOT NULL,
    "claimed_until" TIMESTAMP,
    "last_error" TEXT NOT NULL,
    "channel" VARCHAR(340) NOT NULL,
    "chat" VARCHAR(340),
    "created_at" TIMESTAMP NOT NULL,
    "sent_at" TIMESTAMP,
    "community_id" INT REFERENCES "community" ("id") ON DELETE SET NULL,
    "person_id" INT REFERENCES "person" ("id") ON DELETE CASCADE
) /* A reply to deliver to one person; `key` makes each notification unique (news N → person P). */;
CREATE INDEX IF NOT EXISTS "idx_outbox_mess_status_4cdf01" ON "outbox_message" ("status");
CREATE INDEX IF NOT EXISTS "idx_outbox_mess_next_at_9c52b3" ON "outbox_message" ("next_attempt_at");
CREATE TABLE IF NOT EXISTS "console_inbox" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "address" VARCHAR(200) NOT NULL,
    "text" TEXT NOT NULL,
    "seen" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "outbox_id" BIGINT NOT NULL UNIQUE REFERENCES "outbox_message" ("id") ON DELETE CASCADE
) /* Notifications delivered to a console account; one row per outbox message, so never twice. */;
CREATE INDEX IF NOT EXISTS "idx_console_inb_address_0704bc" ON "console_inbox" ("address");
CREATE TABLE IF NOT EXISTS "project" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "slug" VARCHAR(64) NOT NULL,
    "title" VARCHAR(200) NOT NULL,
    "summary" TEXT NOT NULL,
    "status" VARCHAR(16) NOT NULL /* IDEA: idea\nACTIVE: active\nFUNDING: funding\nDONE: done */,
    "created_at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_project_communi_925243" UNIQUE ("community_id", "slug")
);
CREATE TABLE IF NOT EXISTS "follow" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_follow_person__08f8e3" UNIQUE ("person_id", "project_id")
);
CREATE TABLE IF NOT EXISTS "news_item" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "text" TEXT NOT NULL,
    "platform" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "author_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "next_step" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "text" TEXT NOT NULL,
    "due" DATE,
    "created_at" TIMESTAMP NOT NULL,
    "author_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSON NOT NULL
);
CREATE TABLE IF NOT EXISTS "project_referent" (
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS "uidx_project_ref_project_7d4644" ON "project_referent" ("project_id", "person_id");"""

POSTGRES = """
CREATE TABLE "adapter_state" (
    "key" VARCHAR(200) NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE "adapter_state" IS 'Small persisted values of the adapters: sync tokens, offsets, device ids.';
CREATE TABLE "community" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "slug" VARCHAR(64) NOT NULL UNIQUE,
    "name" VARCHAR(200) NOT NULL,
    "locale" VARCHAR(8) NOT NULL,
    "timezone" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE "inbound_event" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "platform" VARCHAR(16) NOT NULL,
    "key" VARCHAR(200) NOT NULL UNIQUE,
    "payload" JSONB NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "attempts" INT NOT NULL,
    "last_error" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "handled_at" TIMESTAMPTZ
);
CREATE INDEX "idx_inbound_eve_status_24cfa1" ON "inbound_event" ("status");
COMMENT ON COLUMN "inbound_event"."status" IS 'PENDING: pending\nDONE: done\nFAILED: failed';
COMMENT ON TABLE "inbound_event" IS 'A platform event persisted before it is confirmed to the platform, handled once, kept if it fails.';
CREATE TABLE "person" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "display_name" VARCHAR(200) NOT NULL,
    "locale" VARCHAR(8),
    "created_at" TIMESTAMPTZ NOT NULL,
    "current_community_id" INT REFERENCES "community" ("id") ON DELETE SET NULL
);
CREATE TABLE "account" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "platform" VARCHAR(16) NOT NULL,
    "address" VARCHAR(320) NOT NULL,
    "confirmed" BOOL NOT NULL,
    "reachable" BOOL NOT NULL,
    "preferred" BOOL NOT NULL,
    "last_seen" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_account_platfor_ce8d02" UNIQUE ("platform", "address")
);
COMMENT ON TABLE "account" IS 'One way to reach a person; `preferred` picks the delivery channel, `reachable` is cleared on blocks.';
CREATE TABLE "chat_binding" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "platform" VARCHAR(16) NOT NULL,
    "chat_id" VARCHAR(320) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "bound_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_chat_bindin_platfor_94e512" UNIQUE ("platform", "chat_id")
);
COMMENT ON TABLE "chat_binding" IS 'A Telegram group, a Matrix room or a list address that speaks for one community.';
CREATE TABLE "membership" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "role" SMALLINT NOT NULL,
    "joined_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_membership_person__58b2ed" UNIQUE ("person_id", "community_id")
);
COMMENT ON COLUMN "membership"."role" IS 'OBSERVER: 10\nMEMBER: 20\nREFERENT: 30\nFACILITATOR: 40';
CREATE TABLE "outbox_message" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "key" VARCHAR(200) NOT NULL UNIQUE,
    "kind" VARCHAR(32) NOT NULL,
    "payload" JSONB NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMPTZ NOT NULL,
    "claimed_until" TIMESTAMPTZ,
    "last_error" TEXT NOT NULL,
    "channel" VARCHAR(340) NOT NULL,
    "chat" VARCHAR(340),
    "created_at" TIMESTAMPTZ NOT NULL,
    "sent_at" TIMESTAMPTZ,
    "community_id" INT REFERENCES "community" ("id") ON DELETE SET NULL,
    "person_id" INT REFERENCES "person" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_outbox_mess_status_4cdf01" ON "outbox_message" ("status");
CREATE INDEX "idx_outbox_mess_next_at_9c52b3" ON "outbox_message" ("next_attempt_at");
COMMENT ON COLUMN "outbox_message"."status" IS 'PENDING: pending\nSENDING: sending\nSENT: sent';
COMMENT ON TABLE "outbox_message" IS 'A reply to deliver to one person; `key` makes each notification unique (news N → person P).';
CREATE TABLE "console_inbox" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "address" VARCHAR(200) NOT NULL,
    "text" TEXT NOT NULL,
    "seen" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "outbox_id" BIGINT NOT NULL UNIQUE REFERENCES "outbox_message" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_console_inb_address_0704bc" ON "console_inbox" ("address");
COMMENT ON TABLE "console_inbox" IS 'Notifications delivered to a console account; one row per outbox message, so never twice.';
CREATE TABLE "project" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "slug" VARCHAR(64) NOT NULL,
    "title" VARCHAR(200) NOT NULL,
    "summary" TEXT NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_project_communi_925243" UNIQUE ("community_id", "slug")
);
COMMENT ON COLUMN "project"."status" IS 'IDEA: idea\nACTIVE: active\nFUNDING: funding\nDONE: done';
CREATE TABLE "follow" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMPTZ NOT NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_follow_person__08f8e3" UNIQUE ("person_id", "project_id")
);
CREATE TABLE "news_item" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "text" TEXT NOT NULL,
    "platform" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "author_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE
);
CREATE TABLE "next_step" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "text" TEXT NOT NULL,
    "due" DATE,
    "created_at" TIMESTAMPTZ NOT NULL,
    "author_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE
);
CREATE TABLE "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);
CREATE TABLE "project_referent" (
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "uidx_project_ref_project_7d4644" ON "project_referent" ("project_id", "person_id");
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return ""


MODELS_STATE = (
    "eJztXVtX27gW/itaeWrXyulAoMAwTwFCJ2cgYUHaM2vKLFexlcSDLXlsGciZ0/9+JPl+xY"
    "ZcHFcvLZH29uWTLO39aW/pn45JNGQ4H/qqSlxMO6fgnw6GJmJ/pKu6oAMtK6rgBRRODSEL"
    "Y0JTh9pQ5deaQcNBrEhDjmrrFtUJ5sJjjMATXAJKgI2gugAQWMh2CP4FfLNsNEO2jbRvwN"
    "LVBwfQBQLsdvojspdAXUCMkdEF34Qiv/s3oDtANRBkOoBgMDUIU/vAn0QjKnsUHc83eVMX"
    "63+7SKFkjthVbHbrr187lgHpjNimwEfTbOQ4nT//ZD90rKFn5HAp/tN6UGY6MrREO+gaVx"
    "PlCl1aomyI6aUQ5K85VVRiuCaOhK0lXRAcSutey8wRRjakiF+e2i5vGewaht+GQWN5LxCJ"
    "eI8Y09HQDLoGb1+u7T1AVNZRlNF4otwNJorSybR9oBFrGb9IJZj3G/aojnj7OX+Ef/X2D4"
    "8PTw6ODk+YiHjMsOT4u3frCBhPUcAzmnS+i3pIoSchMI5AjbdIEtrzBbTzsY3rpBBmj55G"
    "OMCzDOKgIMI4+mQ2AbIJnxUD4TldsJ/7RyWIfunfnv/av323f/Se35CwL9z78kd+TU9Ucd"
    "AjkIOuXgPjmEoLIT7o7VXAmEkVgizqkiizO85020Q5w8QZIWyQwvlQJ/RSYE+Z4rrQDoaR"
    "NaBdAu7ZeHzFr2w6zt+GKBhOUiB/vj4bsB4usGdCOkXxsSQCPJwGagKe0JOAVwc8nJ9rAp"
    "7Q2yDgYcnOIm5AhyoOQjiL+AUDi+omyoc8oZiCXPM1PwR/VMDf77tNGc5L0J8Mrwd3k/71"
    "TaIJLvqTAa/pidJlqvRdejYNLwL+M5z8CvhP8Md4NBBoEofObXHHSG7yR4c/E3QpUTB5Ut"
    "j8GcMkKA6KkvMGG48Y7gqkdRs5qbmCVm7crM1eUBtjY+n3wB1pdv9jKW11z+lRajkVCZ2X"
    "fYtdaOAVuBfcYZs95HsXArAswpfERvoc/4aWAugheyaI1Tx7wHe+b8IL7RjA34M+FJRG3d"
    "OGT6GXm+xa7A/21siblM77d+f9i0FH4DyF6sMTtDUlATivIT2SKglls1Vmz0yXQAznAh7+"
    "HvypA9pDgxZF9h2F4nGytEi8vlvKjXiSihOKvsiQ3JnQMAQ/oTusycEjNFzkADITzIR/Qe"
    "cUOEusAkoeEHa6rHbmIMr+0NCjriKgazk0yEqvnMN1VCU1HtCyjlvoi6/GJdwusZFwCHt7"
    "VRxCJlXoEIq6cq5DtHEW7Ql6LhjvQ4VWuOBlk/fg90li3g5wfXfd//19Yu6+Go8+BeKxdj"
    "i/Gp+lbGfX0l5pVyU1pV3VFLsqx5wWT5+xALYzVbFhk56xFvWQz8xU8erSiUplgso0Jvni"
    "PNUHEzZfz21ogrlNXKsLILiGrA88A5sQExCbFRhspgE+r8dmGUiBYyH44IAZqyYYAZWYJu"
    "uhdJmdrtZxgxcZeoEDs0gkQy8Z+m0PmGtm6IOuXgPjmEoLIV4PQy+ZlpZZBFWYlilxsaZM"
    "l/W4lpTWq9iWhpGmq5kp4gte/nReD9m0miSyXiayQsxWwGWdx6+1YzBXpbPSfSyf0cobJT"
    "ZJFjZsfKgKbmpoTGDLngGMPl9dbYsujDp3ngcW7/kl/ldC7CXnqxjeN9By0pNZgyfjGO68"
    "joUdyLeO7Tw6rGBbHx0Wmta8KmkKiP9rQBvIt9BzWSGVHIsDICrMi3MpRjjS2BzGnZnd2Q"
    "jGJxUQPinE9ySNLvfZ/ktwLXzjOhtEeODaxEI/3UBbdzaD9eoHC+mGF0PfLje8BjEfs8Q9"
    "5jsnXPXM17z87RYZUGBbaISn2PYd6wdFpnjiOzKROWWuxkK33ojVdXihtkJl2eQvpNI34n"
    "TjXaVNIK3XF8MOMdAQT8lzJ9cdi9V3yz0yIanooeiLS2IjQvWZrooWdYIkEqTxvBMI/OsB"
    "P13mF7E6ZZMnHpABiEvZXYCJHIe9Vxc4BGDElAF90lWUXRtb652kD9ksH7KZqRStCJyJ2e"
    "PoOcc0LI6TCeRb4U1uOkwmP7q8NJ6/IK5chvKXhfJLr6d4SGmX1xNvdW+Kz10gO9PnhdNx"
    "Qm01C2RNmJZ/7vUODo57ewdHJx8Pj48/nuyF83O2qmyiPht+4l9YolULFtHqrEOk2y3baG"
    "OMJoT9U3EpaCwuc+0ZeDvXalUXhBK9tULw+Ju8iktiGOJjy/gTfk2pJzGLZFa6sPM1lmvg"
    "O5sybm2rlrqcb3/E+VamVa3u28rQZzVhTShJXGW62kbT1XL67yqQbR0FnIE28dk2KRWQE8"
    "Uu1gaPKH+HpER9qRWoe5IKCkUrpFgEQe1AaMVy96aIFSOgU7EbUbCbB+d/eS5foNYFC4g1"
    "Q2xUpLIbPCCLKcy42gzqRk6O4GZuuWKGucyrbZnpugFvtszAlYkZG0jMkPmx66P5Lbg0CM"
    "wZQ/59Nx4V9N9IJe2X6SoF/xM5aDvYjUvA5WCUk/5pfr+b9Kr4BTKkP4XULVjFGmDXzFhD"
    "Sf4/1N7Yghaz+MJYjhoN0LkZjC6Go0+nwNe/xxfM8TwFGsHoHl/2h1eDi1MxG3q7E21/xI"
    "GUItPKC1UonFfjKpvzs/bWO7uuzHkVWyEh2yZ2nTXFpNYGI/xq9vDGritK/q24h7eXf/Md"
    "jle0elJTblnWnD0WasdyrpMEiMUq5lAAyUjGYgLATMqtbSkoSiWSi0HbXAyySV72BIP1ZW"
    "M3UN2cYdWraVl1xmd3g9svg1tmju7d4+sBj0jhl7nHt4PLwe1gNDkFB3vc3D0fXg0n/cmY"
    "VR/uVbR3vaY56B0fha3Cf5Q1yN11/+oqa4n9RXT8qrkhoSgNgqbMFVUMApkkvsZlObnYKR"
    "flGrRyVG9RTu5psI49DbZjlY/QkzOkyOzk2ORhXalFjpmUogdiMul+l0bPMstbxvJvkHPb"
    "nSXBIKVrXWzn2jdsk+zmD+jMsMoFsesZ3AkduY2YDC7clh8jY+BWGgOXHRc26SM2bEyoCm"
    "xiMGzUxmEjZnfeUZS7qhDWdcs9mGeqOIGY9GB2adzsSg+mGR6MlndCAjeo87HWcs9HSFjR"
    "OzuY5mHOjWDpiUhPRHoiqxv5pSciPZHGGszSE/nhPJHkngE57khmU4Fin8TPzDdjshUynW"
    "xkGeKEdn8zK/4n37cqPKj9AS2/ARM+IAeIM9xxbAss4PUE8I6v6IARuHd7+z/3fF1w8z4v"
    "z2n9N5RZTjua5SQTcNaXgPPA3qwWuL58Kzzb9HkzFeA96JWcNiOzm16ak2V20/qzm+6CEi"
    "dWMhE/aXri3c7KqcxvWrHXKnhnH6JXsEA56puhgrawk1XTmZ/C5IsE4WdA1gaa4mKqG7U5"
    "v7SyTLRpclvL3MXt5C4uIMYo5+MqPY4xUGkB4Cnj+LDSYYyHJYcxHsrDGOW6Bf8YmB36ii"
    "aPqckJq8kT1jbTfRrWrDLbp6moymyfHyfbp2GDwkqSfba9QuX37ZylqajXF69JRZ+YDJLb"
    "qWGzW7JMo+mOZcClUvcgyLRe63yndhwH2bBRdK2nQUrHtBj39jqmqmvb3Ml8rQNToC4dmZ"
    "fPtk9DJy3EShZiQY+rbSnGlua8Q+reeEpi37vKDg5vRdAnBgrvBJE3YhQdVdJGiOTBpJWh"
    "KjpnqA5Kbz5kqKlAvdGHjW3/hWZIDJZkloX6GuLlhPB/1x913NTjnMSbKWlnPnpPm3dCZt"
    "mmAfW+b2KL9uCxd6fpkOWwtYLaOG1EFzZx54u4VnDlQlaJlStpz/t7OV3hv0ceXxG9Yglh"
    "ERNa8U6BCZvHMdy53CdwqzSGaIIMrMVudSDfwojIo8MKbvXRYaFfzatSx7rqtB5pESq0EN"
    "618EKOa5rQznGgimNFYiot4N42HSjS9EjTHOh1DcGa8HeGF4P+KeCa97h/Phl+GZwCNgvq"
    "j3wP/c9+xOnMzeyw33nFhyH36pGEntx4tHlmUxmDJ3dyXN3iboWdHCUZVYNh4VmBb8Mnvo"
    "FlOxHyN655M07RNjltwWnlFFQOxvUJqFfHFu0W/xS+ZhH9FPB5KQIqTjFl+KcEO7UKAsoz"
    "PUoZqD6ydXXRySGg/JpuGf8EIxkZMLNLJlO3hGl65Gd55kUaFtMhMZU2EiIfP1YhRD5+LC"
    "ZEeF0q2dCy6iDsi7cQ3f1KdNN+Cd20n6Wb2B2pP1JWTXGOqcgU55opzhkPbJPRn9//D4+/"
    "n0Q="
)
