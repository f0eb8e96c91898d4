"""`forget me` leaves nothing that names the person: every row of every table and every file of the data directory is read
afterwards, on SQLite and PostgreSQL, after a life of commands, notifications, comments, mail on disk and a data export."""

from __future__ import annotations

import json
import re

from tortoise import Tortoise

from bot.core.sql import fetch
from models import Account, Follow, OutboxMessage, Person, Project
from tests.conftest import Dialog


async def every_row() -> list[tuple[str, str]]:
    """(table, row as text) for every row of every table Relais has."""
    out = []
    tables = {m._meta.db_table for m in Tortoise.apps["models"].values()} - {"aerich"}
    for table in sorted(tables):
        for row in await fetch(f'SELECT * FROM "{table}"', []):
            out.append((table, " ".join(str(v) for v in row)))
    return out


async def test_forget_me_leaves_no_trace_in_any_table_nor_the_data_directory(any_app, tmp_path):
    app = any_app
    camille_id = (await Account.get(platform="console", address="camille")).person_id
    await Account.filter(person_id=camille_id).update(preferred=False)
    await Account.create(person_id=camille_id, platform="email", address="camille.dubois@example.org", confirmed=True, preferred=True)
    await Follow.create(person_id=camille_id, project=await Project.get(slug="conciergerie-rurale"))
    camille, ana, me = Dialog(app, "camille"), Dialog(app, "ana"), Dialog(app, "me")
    await camille.say("nouvelle dombes-brasserie La cuve est arrivée")  # to her followers: « nouvelle de Camille »
    await camille.say("question conciergerie-rurale Où est le local ?")
    await ana.say("question dombes-brasserie Une question sur la cuve")
    await camille.say("réponse 2 Voici la réponse")
    await me.say("bloquer camille")  # a choice naming her account: « débloquer console:camille »
    await Dialog(app, "mehdi").say("nouvelle conciergerie-rurale Le local est trouvé")  # a notification mailed to her: a file
    await camille.say("mes-données")  # her export: a file in the console's folder
    await app.delivery.drain()
    mail_out = tmp_path / "mail-out"
    assert any("camille.dubois@example.org" in p.read_text(errors="replace") for p in mail_out.glob("*.eml")), "a mail to her on disk"
    assert any((tmp_path / "files").rglob("relais-my-data-*.json")), "her export on disk"
    names = re.compile(r"camille|dubois", re.IGNORECASE)
    before = [t for t, text in await every_row() if names.search(text)]
    assert {"account", "person", "outbox_message", "comment", "console_inbox", "choice_set"} <= set(before), before

    await camille.say("oublie-moi")
    await camille.say("oui")
    await app.delivery.drain()
    await app.choices.drain()
    assert not await Person.filter(id=camille_id).exists()

    left = [(table, text[:300]) for table, text in await every_row() if names.search(text)]
    assert left == [], "rows still naming the erased person"
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".eml", ".json", ".csv", ".txt", ".ics")]
    assert [str(p) for p in files if names.search(p.read_text(errors="replace"))] == [], "files still naming the erased person"
    # What the community needs stays: the news, the answer given, the other members' notifications (without her name).
    sent = " ".join(json.dumps(m.payload, ensure_ascii=False) for m in await OutboxMessage.all())
    assert "nouvelle de un·e ancien·ne membre" in sent
