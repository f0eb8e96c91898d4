"""Files: stored by content hash (the bytes in the file store), a news item's photos and a project's documents, and the
id a platform gave a file once uploaded (sent again by that id)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
CREATE TABLE "stored_file" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "sha256" VARCHAR(64) NOT NULL UNIQUE,
    "source_sha256" VARCHAR(64) NOT NULL,
    "mime" VARCHAR(100) NOT NULL,
    "size" INT NOT NULL,
    "width" INT NOT NULL DEFAULT 0,
    "height" INT NOT NULL DEFAULT 0,
    "thumb_sha256" VARCHAR(64) NOT NULL DEFAULT '',
    "created_at" TIMESTAMP NOT NULL
) /* One file's bytes in the file store, named by the SHA-256 of what is stored. */;
CREATE INDEX "idx_stored_file_source_sha" ON "stored_file" ("source_sha256");
CREATE TABLE "project_file" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    "news_id" INT REFERENCES "news_item" ("id") ON DELETE CASCADE,
    "file_id" INT NOT NULL REFERENCES "stored_file" ("id") ON DELETE CASCADE,
    "person_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "filename" VARCHAR(200) NOT NULL,
    "public" INT NOT NULL DEFAULT 0,
    "position" SMALLINT NOT NULL DEFAULT 0,
    "title" VARCHAR(200) NOT NULL DEFAULT '',
    "created_at" TIMESTAMP NOT NULL,
    "removed_at" TIMESTAMP
) /* A file in a project: a photo of a news item or a document of the project. */;
CREATE INDEX "idx_project_file_project" ON "project_file" ("project_id");
CREATE INDEX "idx_project_file_news" ON "project_file" ("news_id");
CREATE INDEX "idx_project_file_person" ON "project_file" ("person_id");
CREATE UNIQUE INDEX "uid_project_file_document" ON "project_file" ("project_id", "position") WHERE "news_id" IS NULL;
CREATE TABLE "file_upload" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "file_id" INT NOT NULL REFERENCES "stored_file" ("id") ON DELETE CASCADE,
    "platform" VARCHAR(16) NOT NULL,
    "variant" VARCHAR(8) NOT NULL DEFAULT 'full',
    "remote_id" VARCHAR(500) NOT NULL,
    CONSTRAINT "uid_file_upload_file_platform" UNIQUE ("file_id", "platform", "variant")
) /* Where a platform keeps a file once uploaded: sent again by that id. */;
"""

POSTGRES = """
CREATE TABLE "stored_file" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "sha256" VARCHAR(64) NOT NULL UNIQUE,
    "source_sha256" VARCHAR(64) NOT NULL,
    "mime" VARCHAR(100) NOT NULL,
    "size" INT NOT NULL,
    "width" INT NOT NULL DEFAULT 0,
    "height" INT NOT NULL DEFAULT 0,
    "thumb_sha256" VARCHAR(64) NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX "idx_stored_file_source_sha" ON "stored_file" ("source_sha256");
COMMENT ON TABLE "stored_file" IS 'One file''s bytes in the file store, named by the SHA-256 of what is stored.';
CREATE TABLE "project_file" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "project_id" INT NOT NULL REFERENCES "project" ("id") ON DELETE CASCADE,
    "news_id" INT REFERENCES "news_item" ("id") ON DELETE CASCADE,
    "file_id" INT NOT NULL REFERENCES "stored_file" ("id") ON DELETE CASCADE,
    "person_id" INT REFERENCES "person" ("id") ON DELETE SET NULL,
    "filename" VARCHAR(200) NOT NULL,
    "public" BOOL NOT NULL DEFAULT FALSE,
    "position" SMALLINT NOT NULL DEFAULT 0,
    "title" VARCHAR(200) NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ NOT NULL,
    "removed_at" TIMESTAMPTZ
);
CREATE INDEX "idx_project_file_project" ON "project_file" ("project_id");
CREATE INDEX "idx_project_file_news" ON "project_file" ("news_id");
CREATE INDEX "idx_project_file_person" ON "project_file" ("person_id");
CREATE UNIQUE INDEX "uid_project_file_document" ON "project_file" ("project_id", "position") WHERE "news_id" IS NULL;
COMMENT ON TABLE "project_file" IS 'A file in a project: a photo of a news item or a document of the project.';
CREATE TABLE "file_upload" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "file_id" INT NOT NULL REFERENCES "stored_file" ("id") ON DELETE CASCADE,
    "platform" VARCHAR(16) NOT NULL,
    "variant" VARCHAR(8) NOT NULL DEFAULT 'full',
    "remote_id" VARCHAR(500) NOT NULL,
    CONSTRAINT "uid_file_upload_file_platform" UNIQUE ("file_id", "platform", "variant")
);
COMMENT ON TABLE "file_upload" IS 'Where a platform keeps a file once uploaded: sent again by that id.';
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "file_upload";
DROP TABLE IF EXISTS "project_file";
DROP TABLE IF EXISTS "stored_file";"""
