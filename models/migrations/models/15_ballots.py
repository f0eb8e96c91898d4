"""Secret ballots that the database alone cannot tie to voters, one vote per person: ballots under random ids (a
closed secret poll's without voter nor time, in the order of the choices), an open secret poll's ballots in one
ballot box, who may vote on each poll (its electors), when a person was split off by `unlink`, membership approval.

Existing data: the electors of the polls open now are their community's members and whoever voted already; an open
secret poll's ballots move to its box under the keys they had (its salt stays until a vote with RELAIS_SECRET_KEY
re-keys them, or its close); a closed secret poll's ballots lose their voter key and time and are written again in
the order of their choices; secret votes keep only their day.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

_COMMON = """
INSERT INTO "poll_elector" ("poll_id", "person_id")
    SELECT p."id", m."person_id" FROM "vote_poll" p JOIN "membership" m ON m."community_id" = p."community_id"
    WHERE p."closed_at" IS NULL AND m."role" >= 10
    UNION
    SELECT v."poll_id", v."person_id" FROM "poll_voter" v JOIN "vote_poll" p ON p."id" = v."poll_id" WHERE p."closed_at" IS NULL;
"""

SQLITE = """
ALTER TABLE "vote_poll" ADD "key_check" VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE "person" ADD "separated_at" TIMESTAMP;
ALTER TABLE "community" ADD "member_approval" INT NOT NULL DEFAULT 0;
ALTER TABLE "membership" ADD "requested_at" TIMESTAMP;
CREATE TABLE "ballot_box" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "ballots" JSON NOT NULL,
    "poll_id" INT NOT NULL UNIQUE REFERENCES "vote_poll" ("id") ON DELETE CASCADE
) /* A secret poll's ballots while it is open, in one row. */;
CREATE TABLE "poll_elector" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_poll_elector_poll_person" UNIQUE ("poll_id", "person_id")
) /* Who may vote on a poll. */;
CREATE INDEX "idx_poll_elector_person" ON "poll_elector" ("person_id");
""" + _COMMON + """
INSERT INTO "ballot_box" ("poll_id", "ballots")
    SELECT p."id", COALESCE((SELECT json_group_object(b."voter", json(b."choice")) FROM "ballot" b WHERE b."poll_id" = p."id"), '{}')
    FROM "vote_poll" p WHERE p."secret" AND p."closed_at" IS NULL;
CREATE TABLE "ballot_new" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "voter" VARCHAR(64),
    "choice" JSON NOT NULL,
    "cast_at" TIMESTAMP,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ballot_poll_voter" UNIQUE ("poll_id", "voter")
) /* A counted ballot. */;
INSERT INTO "ballot_new" ("id", "voter", "choice", "cast_at", "poll_id")
    SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-'
           || substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
           CASE WHEN p."secret" THEN NULL ELSE b."voter" END, b."choice", CASE WHEN p."secret" THEN NULL ELSE b."cast_at" END, b."poll_id"
    FROM "ballot" b JOIN "vote_poll" p ON p."id" = b."poll_id"
    WHERE NOT (p."secret" AND p."closed_at" IS NULL)
    ORDER BY b."poll_id", b."choice";
DROP TABLE "ballot";
ALTER TABLE "ballot_new" RENAME TO "ballot";
UPDATE "poll_voter" SET "at" = substr("at", 1, 10) || ' 00:00:00+00:00'
    WHERE "at" IS NOT NULL AND "poll_id" IN (SELECT "id" FROM "vote_poll" WHERE "secret");
"""

POSTGRES = """
ALTER TABLE "vote_poll" ADD "key_check" VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE "person" ADD "separated_at" TIMESTAMPTZ;
ALTER TABLE "community" ADD "member_approval" BOOL NOT NULL DEFAULT FALSE;
ALTER TABLE "membership" ADD "requested_at" TIMESTAMPTZ;
CREATE TABLE "ballot_box" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "ballots" JSONB NOT NULL,
    "poll_id" INT NOT NULL UNIQUE REFERENCES "vote_poll" ("id") ON DELETE CASCADE
);
CREATE TABLE "poll_elector" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_poll_elector_poll_person" UNIQUE ("poll_id", "person_id")
);
CREATE INDEX "idx_poll_elector_person" ON "poll_elector" ("person_id");
""" + _COMMON + """
INSERT INTO "ballot_box" ("poll_id", "ballots")
    SELECT p."id", COALESCE((SELECT jsonb_object_agg(b."voter", b."choice") FROM "ballot" b WHERE b."poll_id" = p."id"), '{}'::jsonb)
    FROM "vote_poll" p WHERE p."secret" AND p."closed_at" IS NULL;
ALTER TABLE "ballot" RENAME TO "ballot_old";
ALTER TABLE "ballot_old" RENAME CONSTRAINT "uid_ballot_poll_voter" TO "uid_ballot_old_poll_voter";
ALTER TABLE "ballot_old" RENAME CONSTRAINT "ballot_pkey" TO "ballot_old_pkey";
CREATE TABLE "ballot" (
    "id" UUID NOT NULL PRIMARY KEY,
    "voter" VARCHAR(64),
    "choice" JSONB NOT NULL,
    "cast_at" TIMESTAMPTZ,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ballot_poll_voter" UNIQUE ("poll_id", "voter")
);
INSERT INTO "ballot" ("id", "voter", "choice", "cast_at", "poll_id")
    SELECT gen_random_uuid(), CASE WHEN p."secret" THEN NULL ELSE b."voter" END, b."choice",
           CASE WHEN p."secret" THEN NULL ELSE b."cast_at" END, b."poll_id"
    FROM "ballot_old" b JOIN "vote_poll" p ON p."id" = b."poll_id"
    WHERE NOT (p."secret" AND p."closed_at" IS NULL)
    ORDER BY b."poll_id", b."choice";
DROP TABLE "ballot_old";
UPDATE "poll_voter" SET "at" = date_trunc('day', "at" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
    WHERE "at" IS NOT NULL AND "poll_id" IN (SELECT "id" FROM "vote_poll" WHERE "secret");
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


DOWN_SQLITE = """
CREATE TABLE "ballot_old" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "voter" VARCHAR(64) NOT NULL,
    "choice" JSON NOT NULL,
    "cast_at" TIMESTAMP NOT NULL,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ballot_poll_voter" UNIQUE ("poll_id", "voter")
);
INSERT INTO "ballot_old" ("voter", "choice", "cast_at", "poll_id")
    SELECT COALESCE(b."voter", 'a' || lower(hex(randomblob(16)))), b."choice", COALESCE(b."cast_at", p."created_at"), b."poll_id"
    FROM "ballot" b JOIN "vote_poll" p ON p."id" = b."poll_id";
INSERT INTO "ballot_old" ("voter", "choice", "cast_at", "poll_id")
    SELECT j."key", j."value", p."created_at", x."poll_id" FROM "ballot_box" x JOIN "vote_poll" p ON p."id" = x."poll_id", json_each(x."ballots") j;
DROP TABLE "ballot";
ALTER TABLE "ballot_old" RENAME TO "ballot";
"""

DOWN_POSTGRES = """
ALTER TABLE "ballot" RENAME TO "ballot_new";
ALTER TABLE "ballot_new" RENAME CONSTRAINT "uid_ballot_poll_voter" TO "uid_ballot_new_poll_voter";
ALTER TABLE "ballot_new" RENAME CONSTRAINT "ballot_pkey" TO "ballot_new_pkey";
CREATE TABLE "ballot" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "voter" VARCHAR(64) NOT NULL,
    "choice" JSONB NOT NULL,
    "cast_at" TIMESTAMPTZ NOT NULL,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ballot_poll_voter" UNIQUE ("poll_id", "voter")
);
INSERT INTO "ballot" ("voter", "choice", "cast_at", "poll_id")
    SELECT COALESCE(b."voter", 'a' || md5(random()::text)), b."choice", COALESCE(b."cast_at", p."created_at"), b."poll_id"
    FROM "ballot_new" b JOIN "vote_poll" p ON p."id" = b."poll_id";
INSERT INTO "ballot" ("voter", "choice", "cast_at", "poll_id")
    SELECT j."key", j."value", p."created_at", x."poll_id" FROM "ballot_box" x JOIN "vote_poll" p ON p."id" = x."poll_id",
    jsonb_each(x."ballots") j;
DROP TABLE "ballot_new";
"""

DOWN = """
DROP TABLE IF EXISTS "poll_elector";
DROP TABLE IF EXISTS "ballot_box";
ALTER TABLE "membership" DROP COLUMN "requested_at";
ALTER TABLE "community" DROP COLUMN "member_approval";
ALTER TABLE "person" DROP COLUMN "separated_at";
ALTER TABLE "vote_poll" DROP COLUMN "key_check";"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    """Back to a ballot row per voter: an open secret poll's box becomes rows again, under keys the former code cannot
    remake once they come from RELAIS_SECRET_KEY (close the secret polls first)."""
    return (DOWN_POSTGRES if db.capabilities.dialect == "postgres" else DOWN_SQLITE) + DOWN
