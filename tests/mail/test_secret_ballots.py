"""Whoever holds the database alone cannot tie a secret ballot to its voter: ten people vote on a secret poll (by mail,
by answering the ballot mail with a number, through a chat platform's inbox, in the console), the poll closes, and
every row of every table is read, on SQLite and on PostgreSQL, in the order the database keeps them."""

from __future__ import annotations

import json
import uuid

import pytest
from tortoise import connections

from bot.adapters.console import ConsoleChat
from bot.config import Settings
from bot.core.sql import fetch
from bot.services import demo
from bot.services.person_rows import person_columns
from bot.services.votes_secret import BallotKeys, canonical
from models import Account, Community, InboundEvent, Membership, Person, PollVoter, Role, VotePoll
from models.mail import InboundMail
from tests.conftest import database_url, fake_platform, fresh_postgres
from tests.mail.conftest import DOMAIN, RELAIS, Relais, free_port, serve, shutdown

KEY = "a-secret-that-lives-outside-the-database"
OPTIONS = ("Zephyrine", "Quokkaville", "Marzipane")
REF = f"{demo.SLUG}#1"


@pytest.fixture(params=["sqlite", "postgres"])
async def relais_keyed(request, tmp_path, clock, sink):
    """Relais serving mail on loopback with RELAIS_SECRET_KEY set, on SQLite then on PostgreSQL."""
    if request.param == "postgres":
        await fresh_postgres()
    web_port = free_port()
    settings = Settings(data_dir=tmp_path, database_url=database_url(request.param, tmp_path), log_format="text",
                        delivery_interval=0.05, secret_key=KEY,
                        sections={"mail": {"listen": "127.0.0.1:0", "domain": DOMAIN},
                                  "smtp": {"url": f"smtp://127.0.0.1:{sink.port}"},
                                  "web": {"web_listen": f"127.0.0.1:{web_port}", "public_url": f"http://127.0.0.1:{web_port}"}})
    app, mail, stop, task = await serve(settings, clock)
    yield Relais(app, mail, sink, clock, tmp_path, settings.web.public_url)
    await shutdown(app, stop, task)


async def member(name: str, platform: str, address: str) -> Person:
    person = await Person.create(display_name=name)
    await Account.create(person=person, platform=platform, address=address, preferred=True)
    await Membership.create(person=person, community=await Community.get(slug=demo.SLUG), role=Role.MEMBER)
    return person


async def every_row() -> dict[str, list[tuple[str, dict]]]:
    """Each table's rows as (their place in the table, their values as text), in the order of those places: SQLite's
    rowid, PostgreSQL's ctid — what a dump of the files would show in that order."""
    conn = connections.get("default")
    out: dict[str, list[tuple[str, dict]]] = {}
    if conn.capabilities.dialect == "postgres":
        tables = [r[0] for r in await fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                                            "AND table_type = 'BASE TABLE'", [])]
        for table in tables:
            rows = await conn.execute_query_dict(f'SELECT ctid::text AS "__place", * FROM "{table}" ORDER BY ctid')
            out[table] = [(str(r.pop("__place")), {k: _text(v) for k, v in r.items()}) for r in rows]
    else:
        tables = [r[0] for r in await fetch("SELECT name FROM sqlite_master WHERE type = 'table'", [])]
        for table in tables:
            try:
                rows = await conn.execute_query_dict(f'SELECT rowid AS "__place", * FROM "{table}" ORDER BY rowid')
            except Exception:  # a table WITHOUT ROWID (the search index's own): its key order is its only order
                rows = [{"__place": n, **r} for n, r in enumerate(await conn.execute_query_dict(f'SELECT * FROM "{table}"'))]
            out[table] = [(f"{int(r.pop('__place')):012d}", {k: _text(v) for k, v in r.items()}) for r in rows]
    return out


def _text(value) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


async def test_ten_secret_ballots_cannot_be_tied_to_their_voters(relais_keyed: Relais):
    relais = relais_keyed
    app = relais.app
    by_mail = [await member(f"Mail{i}", "email", f"voter{i}@example.org") for i in range(4)]
    by_chat = [await member(f"Chat{i}", "console", f"chat{i}") for i in range(3)]  # answered through the fake platform
    by_console = [await member(f"Cons{i}", "console", f"cons{i}") for i in range(3)]
    platform = await fake_platform(app)
    quoted = " ".join(f'"{o}"' for o in OPTIONS)
    assert "Sondage #1" in await ConsoleChat(app.console, "me").exchange(f'sondage "Quel nom pour le lieu ?" {quoted} secret')
    poll = await VotePoll.get(number=1)
    await relais.settle()

    typed: list[str] = []  # every command line a voter wrote: none may be kept anywhere
    choices = [1, 2, 2, 3, 1, 3, 2, 1, 2, 3]
    for n, person in enumerate(by_mail[:2]):
        line = f"voter {REF} {choices[n]}"
        typed.append(line)
        await relais.send(f"From: {person.display_name} <voter{n}@example.org>\nTo: {RELAIS}\nSubject: mon vote\n"
                          f"Message-ID: <v{n}@example.org>\n\n{line}\n", mail_from=f"voter{n}@example.org")
    line = f"voter {REF} {choices[2]}"  # a command as the subject
    typed.append(line)
    await relais.send(f"From: voter2@example.org\nTo: {RELAIS}\nSubject: {line}\nMessage-ID: <v2@example.org>\n\n\n",
                      mail_from="voter2@example.org")
    [ballot] = await relais.wait_mail(predicate=lambda m: "voter3@example.org" in m.rcpt_tos and "Quel nom" in m.message.get_body(("plain",)).get_content())
    await relais.send(f"From: voter3@example.org\nTo: {ballot['Reply-To']}\nSubject: Re: {ballot['Subject']}\n"
                      f"In-Reply-To: {ballot['Message-ID']}\nMessage-ID: <v3@example.org>\n\n{choices[3]}\n",
                      mail_from="voter3@example.org", to=[ballot["Reply-To"]])
    await relais.settle()
    for n in range(len(by_chat)):
        line = f"vote {REF} {choices[4 + n]}"
        typed.append(line)
        said = await platform.receive(f"chat{n}", line)
        assert "Votre vote sur le sondage #1 est enregistré" in said and not any(o in said for o in OPTIONS)
    for n in range(len(by_console)):
        line = f"vote 1 {choices[7 + n]}"
        typed.append(line)
        said = await ConsoleChat(app.console, f"cons{n}").exchange(line)
        assert "Votre vote sur le sondage #1 est enregistré" in said and not any(o in said for o in OPTIONS)
    await relais.settle()
    voters = [p.id for p in by_mail + by_chat + by_console]
    assert sorted(await PollVoter.filter(poll_id=poll.id).values_list("person_id", flat=True)) == sorted(voters)
    closed = await ConsoleChat(app.console, "me").exchange("sondage clore 1")
    assert "10 votant·es" in closed and "Quokkaville" in closed
    await relais.settle()
    await platform.inbox.idle()

    rows = await every_row()
    # What was sent and answered: the raw events and mails are reduced to "a vote" as they are handled.
    reduced = f"vote {REF}"
    for event in await InboundEvent.filter(platform="fake", key__contains=":chat"):
        assert (event.payload, event.state) == ({"sensitive": reduced}, {})
    voted_mail = [m for m in await InboundMail.all() if m.outcome == reduced]
    assert len(voted_mail) == 4 and all((bytes(m.content), m.progress, m.sender, m.mail_from) == (b"", {}, "", "") for m in voted_mail)
    assert not any(m.sender.startswith("voter") for m in await InboundMail.all())  # who wrote them goes too
    # No row of any table speaks of one option without the others (a ballot sent to all, the results), by its name or
    # by the command that votes for it ...
    commands = {f"vote {REF} {n}" for n in range(1, len(OPTIONS) + 1)}
    for table, found in rows.items():
        for _, values in found:
            said = " ".join(values.values())
            named = {o for o in OPTIONS if o in said}
            assert named in (set(), set(OPTIONS)), f"{table} names {named} alone: {values}"
            voted = {c for c in commands if c in said}
            assert voted in (set(), commands), f"{table} keeps a ballot: {values}"
            # ... nor keeps a line a voter wrote, nor a key that the secret (even stolen with the database) would remake.
            assert not [line for line in typed if line in said and line not in commands], f"{table} keeps a ballot: {values}"
    keys = BallotKeys(KEY)
    made = {keys.of(poll.id, p.id) for p in await Person.all()}
    assert not [(t, v) for t, found in rows.items() for _, v in found if any(k in " ".join(v.values()) for k in made)]
    # The ballots: counted, without voter, time or person column, under random ids, in the order of their choices.
    assert "ballot" not in {c.table for c in person_columns()} and "ballot_box" not in {c.table for c in person_columns()}
    assert not [v for _, v in rows["ballot_box"]]
    mine = [v for _, v in rows["ballot"] if v["poll_id"] == str(poll.id)]
    assert len(mine) == 10 and all(v["voter"] == "" and v["cast_at"] == "" for v in mine)
    assert all(uuid.UUID(v["id"]).version == 4 for v in mine)
    stored = [json.loads(v["choice"]) for v in mine]
    assert stored == sorted(stored, key=canonical) and sorted(c[0] for c in stored) == sorted(choices)
    # Who voted is known (the nudge needs it), when only to the day: no moment to match with anything else.
    assert len({v["at"] for _, v in rows["poll_voter"] if v["poll_id"] == str(poll.id)}) == 1
    results = (await VotePoll.get(id=poll.id)).results
    assert results["counts"] == [choices.count(1), choices.count(2), choices.count(3)] and results["voters"] == 10
