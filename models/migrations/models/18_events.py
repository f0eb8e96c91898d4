"""Events: the general meetings move into one `event` table beside the community's other events (a kind each), their
answers into `event_answer` (coming, waiting, not coming); a meeting's date poll keeps the place it was asked with.

Why one table and not an events table the meeting references: a meeting does everything an event does (an invitation,
answers, reminders, the feed, the digest, the pages) and nothing an event should not, so one table serves both with one
code path. The meetings keep their ids (the links and buttons already sent name them: `coming 3`), their answers and
reminders; their iCalendar UID stays the one their invitations went out with, so an update replaces it in calendars.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

_COPY = """
INSERT INTO "event" ("id", "community_id", "project_id", "kind", "title", "starts_at", "place", "capacity", "uid", "sequence",
                     "created_by_id", "created_at", "updated_at", "cancelled", "cancelled_at", "reminded_week_at", "reminded_day_at")
    SELECT "id", "community_id", NULL, 'meeting', '', "starts_at", "place", NULL, 'meeting-' || "id" || '@relais', 0,
           "created_by_id", "created_at", NULL, "cancelled", NULL, "reminded_week_at", "reminded_day_at" FROM "meeting";
INSERT INTO "event_answer" ("event_id", "person_id", "status", "at")
    SELECT "meeting_id", "person_id", CASE WHEN "coming" THEN 'coming' ELSE 'not_coming' END, "at" FROM "meeting_answer";
DROP TABLE "meeting_answer";
DROP TABLE "meeting";
"""

SQLITE = """
CREATE TABLE "event" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "kind" VARCHAR(16) NOT NULL DEFAULT 'event',
    "title" VARCHAR(200) NOT NULL DEFAULT '',
    "starts_at" TIMESTAMP NOT NULL,
    "place" VARCHAR(200) NOT NULL DEFAULT '',
    "capacity" INT,
    "uid" VARCHAR(255) NOT NULL UNIQUE,
    "sequence" INT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP,
    "cancelled" INT NOT NULL DEFAULT 0,
    "cancelled_at" TIMESTAMP,
    "reminded_week_at" TIMESTAMP,
    "reminded_day_at" TIMESTAMP,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT REFERENCES "project" ("id") ON DELETE SET NULL,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL
) /* An event of a community or of one of its projects; the general meeting is one of its kinds. */;
CREATE INDEX "idx_event_starts_at" ON "event" ("starts_at");
CREATE INDEX "idx_event_community" ON "event" ("community_id", "kind", "starts_at");
CREATE TABLE "event_answer" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "event_id" INT NOT NULL REFERENCES "event" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_event_answer_event_person" UNIQUE ("event_id", "person_id")
) /* A person's answer to an event: coming, waiting for a place, not coming. */;
CREATE INDEX "idx_event_answer_status" ON "event_answer" ("event_id", "status", "at", "id");
CREATE INDEX "idx_event_answer_person" ON "event_answer" ("person_id");
ALTER TABLE "vote_poll" ADD "place" VARCHAR(200) NOT NULL DEFAULT '';
""" + _COPY

POSTGRES = """
CREATE TABLE "event" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(16) NOT NULL DEFAULT 'event',
    "title" VARCHAR(200) NOT NULL DEFAULT '',
    "starts_at" TIMESTAMPTZ NOT NULL,
    "place" VARCHAR(200) NOT NULL DEFAULT '',
    "capacity" INT,
    "uid" VARCHAR(255) NOT NULL UNIQUE,
    "sequence" INT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ,
    "cancelled" BOOL NOT NULL DEFAULT FALSE,
    "cancelled_at" TIMESTAMPTZ,
    "reminded_week_at" TIMESTAMPTZ,
    "reminded_day_at" TIMESTAMPTZ,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT REFERENCES "project" ("id") ON DELETE SET NULL,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL
);
COMMENT ON TABLE "event" IS 'An event of a community or of one of its projects; the general meeting is one of its kinds.';
CREATE INDEX "idx_event_starts_at" ON "event" ("starts_at");
CREATE INDEX "idx_event_community" ON "event" ("community_id", "kind", "starts_at");
CREATE TABLE "event_answer" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "status" VARCHAR(16) NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    "event_id" INT NOT NULL REFERENCES "event" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_event_answer_event_person" UNIQUE ("event_id", "person_id")
);
COMMENT ON TABLE "event_answer" IS 'A person''s answer to an event: coming, waiting for a place, not coming.';
CREATE INDEX "idx_event_answer_status" ON "event_answer" ("event_id", "status", "at", "id");
CREATE INDEX "idx_event_answer_person" ON "event_answer" ("person_id");
ALTER TABLE "vote_poll" ADD "place" VARCHAR(200) NOT NULL DEFAULT '';
""" + _COPY + """
SELECT setval(pg_get_serial_sequence('event', 'id'), COALESCE((SELECT MAX("id") FROM "event"), 0) + 1, FALSE);
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    """Back to meetings only: the other events and the waiting list are lost (a waiting person is not coming)."""
    common = """
INSERT INTO "meeting" ("id", "community_id", "starts_at", "place", "cancelled", "created_at", "created_by_id",
                       "reminded_week_at", "reminded_day_at")
    SELECT "id", "community_id", "starts_at", "place", "cancelled", "created_at", "created_by_id", "reminded_week_at",
           "reminded_day_at" FROM "event" WHERE "kind" = 'meeting';
INSERT INTO "meeting_answer" ("meeting_id", "person_id", "coming", "at")
    SELECT a."event_id", a."person_id", a."status" = 'coming', a."at" FROM "event_answer" a
    JOIN "event" e ON e."id" = a."event_id" WHERE e."kind" = 'meeting';
DROP TABLE "event_answer";
DROP TABLE "event";
ALTER TABLE "vote_poll" DROP COLUMN "place";"""
    if db.capabilities.dialect == "postgres":
        return """
CREATE TABLE "meeting" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "starts_at" TIMESTAMPTZ NOT NULL,
    "place" VARCHAR(200) NOT NULL,
    "cancelled" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "reminded_week_at" TIMESTAMPTZ,
    "reminded_day_at" TIMESTAMPTZ
);
CREATE INDEX "idx_meeting_starts_at" ON "meeting" ("starts_at");
CREATE TABLE "meeting_answer" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "coming" BOOL NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    "meeting_id" INT NOT NULL REFERENCES "meeting" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_meeting_answer_meeting_person" UNIQUE ("meeting_id", "person_id")
);""" + common
    return """
CREATE TABLE "meeting" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "starts_at" TIMESTAMP NOT NULL,
    "place" VARCHAR(200) NOT NULL,
    "cancelled" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "created_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "reminded_week_at" TIMESTAMP,
    "reminded_day_at" TIMESTAMP
);
CREATE INDEX "idx_meeting_starts_at" ON "meeting" ("starts_at");
CREATE TABLE "meeting_answer" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "coming" INT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "meeting_id" INT NOT NULL REFERENCES "meeting" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_meeting_answer_meeting_person" UNIQUE ("meeting_id", "person_id")
);""" + common
