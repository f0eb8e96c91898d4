"""Members become contributors: ideas and their supports, needs and the offers they get (and whom they reached),
members' skills and their stems, volunteers for a project without referent, the reasons given with ballots, polls'
outcomes and the polls facilitators hid, invitations and who came through them, each community's profile (place,
cause, listing in the directory, members' polls, the ideas' threshold)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
CREATE TABLE "idea" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "number" INT NOT NULL,
    "title" VARCHAR(200) NOT NULL,
    "summary" TEXT NOT NULL DEFAULT '',
    "status" VARCHAR(16) NOT NULL DEFAULT 'open',
    "supporters" INT NOT NULL DEFAULT 0,
    "note" TEXT NOT NULL DEFAULT '',
    "lead" VARCHAR(16) NOT NULL DEFAULT '',
    "decided_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "author_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "project_id" INT REFERENCES "project" ("id") ON DELETE SET NULL,
    "decided_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_idea_community_number" UNIQUE ("community_id", "number")
) /* A member's project idea, numbered in the community. */;
CREATE INDEX "idx_idea_created_at" ON "idea" ("created_at");
CREATE INDEX "idx_idea_author" ON "idea" ("author_id");
CREATE TABLE "idea_support" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "idea_id" INT NOT NULL REFERENCES "idea" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_idea_support_idea_person" UNIQUE ("idea_id", "person_id")
) /* A member's support of an idea. */;
CREATE INDEX "idx_idea_support_person" ON "idea_support" ("person_id");
CREATE TABLE "need" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "number" INT NOT NULL,
    "text" TEXT NOT NULL,
    "due" DATE,
    "status" VARCHAR(16) NOT NULL DEFAULT 'open',
    "filled_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    "author_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "helper_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_need_community_number" UNIQUE ("community_id", "number")
) /* Help a project's referents ask for, numbered in the community. */;
CREATE INDEX "idx_need_created_at" ON "need" ("created_at");
CREATE INDEX "idx_need_project" ON "need" ("project_id", "status");
CREATE TABLE "need_offer" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "text" TEXT NOT NULL DEFAULT '',
    "at" TIMESTAMP NOT NULL,
    "need_id" INT NOT NULL REFERENCES "need" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_need_offer_need_person" UNIQUE ("need_id", "person_id")
) /* Someone who can help with a need. */;
CREATE INDEX "idx_need_offer_person" ON "need_offer" ("person_id");
CREATE TABLE "need_reach" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "need_id" INT NOT NULL REFERENCES "need" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE
) /* A need sent to a person (at most 3 a week each). */;
CREATE INDEX "idx_need_reach_at" ON "need_reach" ("at");
CREATE INDEX "idx_need_reach_person" ON "need_reach" ("person_id", "at");
CREATE TABLE "skill" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "text" TEXT NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "person_id" INT NOT NULL UNIQUE REFERENCES "person" ("id") ON DELETE CASCADE
) /* What a person says they can do. */;
CREATE TABLE "skill_term" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "term" VARCHAR(16) NOT NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_skill_term_person_term" UNIQUE ("person_id", "term")
) /* One stem of a person's skills. */;
CREATE INDEX "idx_skill_term_term" ON "skill_term" ("term");
CREATE TABLE "referent_offer" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_referent_offer_project_person" UNIQUE ("project_id", "person_id")
) /* A volunteer to be the referent of a project without one. */;
CREATE TABLE "vote_reason" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "text" TEXT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_vote_reason_poll_person" UNIQUE ("poll_id", "person_id")
) /* Why a person voted as they did on a poll that is not secret. */;
CREATE TABLE "poll_outcome" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "text" TEXT NOT NULL,
    "review_on" DATE,
    "reviewed_at" TIMESTAMP,
    "at" TIMESTAMP NOT NULL,
    "poll_id" INT NOT NULL UNIQUE REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    "by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL
) /* What a closed poll decided, and when to review it. */;
CREATE TABLE "poll_hidden" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "poll_id" INT NOT NULL UNIQUE REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    "by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL
) /* A poll a facilitator hid. */;
CREATE TABLE "invitation" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "code" VARCHAR(16) NOT NULL UNIQUE,
    "visits" INT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT REFERENCES "project" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE
) /* A member's personal invitation to the community or one of its projects. */;
CREATE INDEX "idx_invitation_person" ON "invitation" ("person_id", "community_id");
CREATE TABLE "invitation_arrival" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "invitation_id" INT NOT NULL REFERENCES "invitation" ("id") ON DELETE CASCADE,
    "person_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_invitation_arrival_invitation_person" UNIQUE ("invitation_id", "person_id")
) /* Someone who came through an invitation. */;
CREATE INDEX "idx_invitation_arrival_at" ON "invitation_arrival" ("at");
CREATE INDEX "idx_invitation_arrival_person" ON "invitation_arrival" ("person_id");
CREATE TABLE "community_profile" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "place" VARCHAR(200) NOT NULL DEFAULT '',
    "cause" VARCHAR(300) NOT NULL DEFAULT '',
    "listed" INT NOT NULL DEFAULT 0,
    "member_polls" INT NOT NULL DEFAULT 0,
    "idea_threshold" INT NOT NULL DEFAULT 5,
    "community_id" INT NOT NULL UNIQUE REFERENCES "community" ("id") ON DELETE CASCADE
) /* A community's place, cause and listing in the directory, and its contributors' settings. */;
"""

POSTGRES = """
CREATE TABLE "idea" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "number" INT NOT NULL,
    "title" VARCHAR(200) NOT NULL,
    "summary" TEXT NOT NULL DEFAULT '',
    "status" VARCHAR(16) NOT NULL DEFAULT 'open',
    "supporters" INT NOT NULL DEFAULT 0,
    "note" TEXT NOT NULL DEFAULT '',
    "lead" VARCHAR(16) NOT NULL DEFAULT '',
    "decided_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "author_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "project_id" INT REFERENCES "project" ("id") ON DELETE SET NULL,
    "decided_by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_idea_community_number" UNIQUE ("community_id", "number")
);
COMMENT ON TABLE "idea" IS 'A member''s project idea, numbered in the community.';
CREATE INDEX "idx_idea_created_at" ON "idea" ("created_at");
CREATE INDEX "idx_idea_author" ON "idea" ("author_id");
CREATE TABLE "idea_support" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "at" TIMESTAMPTZ NOT NULL,
    "idea_id" INT NOT NULL REFERENCES "idea" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_idea_support_idea_person" UNIQUE ("idea_id", "person_id")
);
COMMENT ON TABLE "idea_support" IS 'A member''s support of an idea.';
CREATE INDEX "idx_idea_support_person" ON "idea_support" ("person_id");
CREATE TABLE "need" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "number" INT NOT NULL,
    "text" TEXT NOT NULL,
    "due" DATE,
    "status" VARCHAR(16) NOT NULL DEFAULT 'open',
    "filled_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    "author_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "helper_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_need_community_number" UNIQUE ("community_id", "number")
);
COMMENT ON TABLE "need" IS 'Help a project''s referents ask for, numbered in the community.';
CREATE INDEX "idx_need_created_at" ON "need" ("created_at");
CREATE INDEX "idx_need_project" ON "need" ("project_id", "status");
CREATE TABLE "need_offer" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "text" TEXT NOT NULL DEFAULT '',
    "at" TIMESTAMPTZ NOT NULL,
    "need_id" INT NOT NULL REFERENCES "need" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_need_offer_need_person" UNIQUE ("need_id", "person_id")
);
COMMENT ON TABLE "need_offer" IS 'Someone who can help with a need.';
CREATE INDEX "idx_need_offer_person" ON "need_offer" ("person_id");
CREATE TABLE "need_reach" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "at" TIMESTAMPTZ NOT NULL,
    "need_id" INT NOT NULL REFERENCES "need" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "need_reach" IS 'A need sent to a person (at most 3 a week each).';
CREATE INDEX "idx_need_reach_at" ON "need_reach" ("at");
CREATE INDEX "idx_need_reach_person" ON "need_reach" ("person_id", "at");
CREATE TABLE "skill" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "text" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "person_id" INT NOT NULL UNIQUE REFERENCES "person" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "skill" IS 'What a person says they can do.';
CREATE TABLE "skill_term" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "term" VARCHAR(16) NOT NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_skill_term_person_term" UNIQUE ("person_id", "term")
);
COMMENT ON TABLE "skill_term" IS 'One stem of a person''s skills.';
CREATE INDEX "idx_skill_term_term" ON "skill_term" ("term");
CREATE TABLE "referent_offer" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "at" TIMESTAMPTZ NOT NULL,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_referent_offer_project_person" UNIQUE ("project_id", "person_id")
);
COMMENT ON TABLE "referent_offer" IS 'A volunteer to be the referent of a project without one.';
CREATE TABLE "vote_reason" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "text" TEXT NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    "poll_id" INT NOT NULL REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_vote_reason_poll_person" UNIQUE ("poll_id", "person_id")
);
COMMENT ON TABLE "vote_reason" IS 'Why a person voted as they did on a poll that is not secret.';
CREATE TABLE "poll_outcome" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "text" TEXT NOT NULL,
    "review_on" DATE,
    "reviewed_at" TIMESTAMPTZ,
    "at" TIMESTAMPTZ NOT NULL,
    "poll_id" INT NOT NULL UNIQUE REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    "by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL
);
COMMENT ON TABLE "poll_outcome" IS 'What a closed poll decided, and when to review it.';
CREATE TABLE "poll_hidden" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "at" TIMESTAMPTZ NOT NULL,
    "poll_id" INT NOT NULL UNIQUE REFERENCES "vote_poll" ("id") ON DELETE CASCADE,
    "by_id" INT REFERENCES "person" ("id") ON DELETE SET NULL
);
COMMENT ON TABLE "poll_hidden" IS 'A poll a facilitator hid.';
CREATE TABLE "invitation" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "code" VARCHAR(16) NOT NULL UNIQUE,
    "visits" INT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ NOT NULL,
    "community_id" INT NOT NULL REFERENCES "community" ("id") ON DELETE CASCADE,
    "project_id" INT REFERENCES "project" ("id") ON DELETE CASCADE,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "invitation" IS 'A member''s personal invitation to the community or one of its projects.';
CREATE INDEX "idx_invitation_person" ON "invitation" ("person_id", "community_id");
CREATE TABLE "invitation_arrival" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "at" TIMESTAMPTZ NOT NULL,
    "invitation_id" INT NOT NULL REFERENCES "invitation" ("id") ON DELETE CASCADE,
    "person_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_invitation_arrival_invitation_person" UNIQUE ("invitation_id", "person_id")
);
COMMENT ON TABLE "invitation_arrival" IS 'Someone who came through an invitation.';
CREATE INDEX "idx_invitation_arrival_at" ON "invitation_arrival" ("at");
CREATE INDEX "idx_invitation_arrival_person" ON "invitation_arrival" ("person_id");
CREATE TABLE "community_profile" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "place" VARCHAR(200) NOT NULL DEFAULT '',
    "cause" VARCHAR(300) NOT NULL DEFAULT '',
    "listed" BOOL NOT NULL DEFAULT FALSE,
    "member_polls" BOOL NOT NULL DEFAULT FALSE,
    "idea_threshold" INT NOT NULL DEFAULT 5,
    "community_id" INT NOT NULL UNIQUE REFERENCES "community" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "community_profile" IS 'A community''s place, cause and listing in the directory, and its contributors'' settings.';
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "community_profile";
DROP TABLE IF EXISTS "invitation_arrival";
DROP TABLE IF EXISTS "invitation";
DROP TABLE IF EXISTS "poll_hidden";
DROP TABLE IF EXISTS "poll_outcome";
DROP TABLE IF EXISTS "vote_reason";
DROP TABLE IF EXISTS "referent_offer";
DROP TABLE IF EXISTS "skill_term";
DROP TABLE IF EXISTS "skill";
DROP TABLE IF EXISTS "need_reach";
DROP TABLE IF EXISTS "need_offer";
DROP TABLE IF EXISTS "need";
DROP TABLE IF EXISTS "idea_support";
DROP TABLE IF EXISTS "idea";"""
