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
    "created_at" TIMESTAMP NOT NULL,
    "sent_at" TIMESTAMP,
    "community_id" INT REFERENCES "community" ("id") ON DELETE SET NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE
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
    "created_at" TIMESTAMPTZ NOT NULL,
    "sent_at" TIMESTAMPTZ,
    "community_id" INT REFERENCES "community" ("id") ON DELETE SET NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE CASCADE
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
    "eJztXVlz2zgS/isoPSVV2owtn+N5km05ox1bctlKdmriKQYiIYljEuCQYGztbP77AuB9mr"
    "R1UAxeEgvo5vEBBLo/dAP/dEyiIcP50FdV4mLaOQP/dDA0EfsjXdUFHWhZUQUvoHBqCFkY"
    "E5o61IYqv9YMGg5iRRpyVFu3qE4wFx5jBJ7gElACbATVBYDAQrZD8C/gq2WjGbJtpH0Flq"
    "4+OoAuEGC3078hewnUBcQYGV3wVSjyu38FugNUA0GmAwgGU4MwtQ/8STSiskfR8XyTN3Wx"
    "/reLFErmiF3FZrf+8qVjGZDOiG0KfDTNRo7T+fNP9kPHGnpGDpfiP61HZaYjQ0u0g65xNV"
    "Gu0KUlyoaYXglB/ppTRSWGa+JI2FrSBcGhtO61zBxhZEOK+OWp7fKWwa5h+G0YNJb3ApGI"
    "94gxHQ3NoGvw9uXa3gNEZR1FGY0nyv1goiidTNsHGrGW8YtUgnm/YY/qiLef80f4V2//8O"
    "Tw9OD48JSJiMcMS06+e7eOgPEUBTyjSee7qIcUehIC4wjUeIskob1YQDsf27hOCmH26GmE"
    "AzzLIA4KIoyjT2YTIJvwWTEQntMF+7l/XILo5/7dxa/9u3f7x+/5DQn7wr0vf+TX9EQVBz"
    "0COejqNTCOqbQQ4oPeXgWMmVQhyKIuiTK740y3TZQzTJwTwgYpnA91Qi8F9pQprgvtYBhZ"
    "A9ol4J6Px9f8yqbj/G2IguEkBfKnm/MB6+ECeyakUxQfSyLAw2mgJuAJPQl4dcDD+bkm4A"
    "m9DQIeluws4gZ0qOIghLOIXzKwqG6ifMgTiinINV/zQ/BHBfz9vtuU4bwE/cnwZnA/6d/c"
    "Jprgsj8Z8JqeKF2mSt+lZ9PwIuA/w8mvgP8Ef4xHA4EmcejcFneM5CZ/dPgzQZcSBZMnhc"
    "2fMUyC4qAoOW+w8YjhrkBat5GTmito5cbN2uwFtTE2ln4P3JFm9z+W0lb3nB6lllOR0HnZ"
    "t9iFBl6Be8EdttljvnchAMsifEVspM/xb2gpgB6yZ4JYzbMHfOf7NrzQjgH8PehDQWnUPW"
    "34FHq5ya7F/mBvjbxJ6aJ/f9G/HHQEzlOoPj5BW1MSgPMa0iOpklA2W2X2zHQJxHAu4OHv"
    "wZ86oD00aFFk31MoHidLi8Tru6XciCepOKHoiwzJvQkNQ/ATusOaHHyDhoscQGaCmfAv6J"
    "wBZ4lVQMkjwk6X1c4cRNkfGvqmqwjoWg4NstIr53AdVUmNR7Ss4xb64qtxCbdLbCQcwt5e"
    "FYeQSRU6hKKunOsQbZxFe4KeC8b7UKEVLnjZ5D34fZKYtwNc3930f3+fmLuvx6OPgXisHS"
    "6ux+cp29m1tFfaVUlNaVc1xa7KMafF02csgO1MVWzYpOesRT3kMzNVvLp0olKZoDKNSb44"
    "T/XBhM3XcxuaYG4T1+oCCG4g6wPPwCbEBMRmBQabaYDP67FZBlLgWAg+OmDGqglGQCWmyX"
    "ooXWanq3Xc4EWGXuDALBLJ0EuGftsD5poZ+qCr18A4ptJCiNfD0EumpWUWQRWmZUpcrCnT"
    "ZT2uJaX1KralYaTpamaK+IKXP53XQzatJomsl4msELMVcFkX8WvtGMxV6ax0H8tntPJGiU"
    "2ShQ0bH6qCmxoaE9iyZwCjT9fX26ILo86d54HFe36J/5UQe8n5Kob3DbSc9GTW4Mk4hjuv"
    "Y2EH8q1jO48PK9jWx4eFpjWvSpoC4v8a0AbyLfRcVkglx+IAiArz4lyKEY40NodxZ2Z3No"
    "LxaQWETwvxPU2jy322/xJcC9+4zgYRHrg2sdBPt9DWnc1gvfrBQrrhxdC3yw2vQczHLHGP"
    "+c4JVz33Na9+u0MGFNgWGuEptn3H+kGRKZ74jkxkTpmrsdCtN2J1E16orVBZNvkLqfSNON"
    "16V2kTSOv1xbBDDDTEU/LcyXXHYvXdco9MSCp6KPriktiIUH2mq6JFnSCJBGk87wQC/3rA"
    "T5f5RaxO2eSJB2QA4lJ2F2Aix2Hv1QUOARgxZUCfdBVl18bWeifpQzbLh2xmKkUrAmdi9j"
    "h6zjENi+NkAvlWeJObDpPJjy4vjecviCuXofxlofzS6ykeUtrl9cRb3ZvicxfIzvV54XSc"
    "UFvNAlkTpuWfe72Dg5Pe3sHx6dHhycnR6V44P2eryibq8+FH/oUlWrVgEa3OOkS63bKNNs"
    "ZoQtg/FZeCxuIyN56Bt3OtVnVBKNFbKwSPv8mruCKGIT62jD/h15R6ErNIZqULO19iuQa+"
    "synj1rZqqcv59kecb2Va1eq+rQx9VhPWhJLEVaarbTRdLaf/rgLZ1lHAGWgTn22TUgFjyx"
    "Q51l9yEaPYAjSTcmuzAqMoImkHbtMOtEle4ASDdYBdM/PVJzcKIbkRFGucu3p79VDujM/v"
    "B3efB3dnYH/vAd8MOBnFL/OA7wZXg7vBaHIGDtivq/7F8Ho46U/GrPpwL72IUdo0B72T47"
    "BV+I+yBrm/6V9fZy2Iv4iOX2WMJxSlLb5LtriMD1+jRS79HGmPN8horGePy3SGdaQzbMcq"
    "H6EnZ0iR2cmxycO6UoscMylFD8RkvP0ujZ5llrdcxt/gMv7upGkH0VyddXXrdedqy4WFH9"
    "CZYZULYtczuBM6MoNYritsy4+R9PdK6e/suLBJH7FhY0JVYBODYaNyhkfM7rynKHdVIazr"
    "lnswz1RxAjHpwezSuNmVHkwzPBgtb3NEblDnY63lbo2YsKJ3djDNw5wbwdITkZ6I9ERWN/"
    "JLT0R6Io01mKUn8sN5Isl0gRx3JJNPUOyT+EH5Zky2wj6yNrIMcTibn8fK/+Qpq+EZbY9o"
    "+RWY8BE5QBzfhmPZr8DrCeAdX9EBI/Dg9vZ/7vm64PZ93r6y67/hip2qsrSdlvlVG0jX6Z"
    "Z4X3Jv+vWl2D6yN6sFri/fCs82vdVsBXgPeiUbzabBteDSIDAH33/fj0cFpmSkkvbGdJWC"
    "/4nNtXcQ6hJoORjlJEKaL+gmfSl+gUw2M4XULUjPfzngM9LeWKZ+x0LhJjV1Aj9vB6PL4e"
    "jjGfD1H/B9UOLESibiJ01PvNtZOYWUItPK24Wl2HGNqWzOwaoZhbs1r1Xwzj5Er2CBctQ3"
    "QwVtIYm16cxPAFJ5RK0BWRtoioupbtTm/NLK8ljAJre1OMER2XaeS1+8ApHU2mBQT835q7"
    "GrEP4p43Vs45hKCwBPGceHlc5hOCw5h+FQnsMg1y34x8Ds0Fc0eUxNTlhNnrC2me7TsGaV"
    "2T5NRVVm+/w42T4NGxRWkuyz7RUqv2/nLE1Fvb54TSr6xGSQ3E4Nm92SZRpNdywDLpW6Z0"
    "Ck9VrnO7XjJIiGjaJrPQhCOqbFuLfXMVVd2+ZO5msdmAJ16ci8fKxdGjppIVayEAt6XG1L"
    "MbY05+1P/8YDEvreVXZweCuCPjFQeJuHvhGjaJfSNkIkzySpDFXRFsN1UHrz/sJNBeqNPm"
    "xs+y80Q2KwJLMs1DcQLyeE/7v+qOOm7uQs3kxJO/PRe9q8EzLLNg2o930TW7QHj707S4cs"
    "h60V1MZpI7qwiTtfxLWCKxeySqxcSXve38vpCv898viK6BVLCIuY0Ip3CkzYPOKoSblP4I"
    "97Oui27fw1H/lHdVqPtAgVWgjvWnghxzVNaOc4UMWxIjGVFnBvmw4UaXqkaQ70uoZgTfg7"
    "w8tB/wxwzQfcv5gMPw/OAJsF9W/oAV998iNOZ64fcXo5HrF6zT8XdfsRp5LQK4a+xYSe3H"
    "h0Ywye3MlxdYu7FXZylGRUDYaFZwW+DZ/4BpbtRMjfuObNOEXb5LQFp5VTUDkY1yegXh1b"
    "tFv8U/iaRfRTwOelCKg4xZThnxLs1CoIKM/0KGWg+sjW1UUnh4Dya7pl/BOMZGTAzC6ZTN"
    "0Spukb66R6XqRhMR0SU2kjIXJ0VIUQOToqJkR4XSrZ0LLqIOyLtxDd/Up0034J3bSfpZvY"
    "Hak/UlZNcY6pyBTnminOGQ9sk9Gf3/8Pw5mDdA=="
)
