"""A project's documents through the core: a referent adds one with a file (or sends it after being asked), members
list and fetch them, referents remove them (confirmed, with an Undo) and make them public; a file sent alone answers
the question waiting or is told how to post it; a person's files in
`mydata`, erased by `forget me` (the news photos only when asked); removed documents and unused files pruned daily."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.core.i18n import french_typography as fr
from bot.core.incoming import Upload
from bot.services.file_store import LocalStore, open_store
from bot.services.retention import Retention
from models import NewsItem, ProjectFile, StoredFile
from scheduler.jobs import Housekeeping
from tests.conftest import Dialog
from tests.peers.s3 import s3  # noqa: F401
from tests.test_files import odt, photo

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def stored_keys(app) -> set[str]:
    store = app.services.files.store
    assert isinstance(store, LocalStore)
    return {p.name for p in store.root.rglob("*") if p.is_file()}


async def test_a_referent_adds_removes_and_restores_documents_that_members_list_and_fetch(any_app, tmp_path):
    camille, ana = Dialog(any_app, "camille"), Dialog(any_app, "ana")
    (tmp_path / "plans cuverie.pdf").write_bytes(PDF)
    (tmp_path / "statuts.odt").write_bytes(odt())
    await camille.check(
        (f'document dombes-brasserie Plans de la cuverie --file "{tmp_path / "plans cuverie.pdf"}"',
         [fr("Document 1 de Brasserie de la Dombes : "), "Plans de la cuverie"]),
        ("document dombes-brasserie", fr("Quel fichier ajoutez-vous à Brasserie de la Dombes ?")),
        (f"les statuts --file {tmp_path / 'statuts.odt'}", [fr("Document 2 de Brasserie de la Dombes : "), "les statuts"]),
    )
    listed = await ana.say("documents dombes-brasserie")
    assert "1. Plans de la cuverie <http://127.0.0.1:8080/f/file." in listed and "plans cuverie.pdf" in listed
    assert "2. les statuts <http" in listed and "statuts.odt" in listed and "membres seulement" not in listed  # said to referents
    assert "membres seulement" in await camille.say("documents dombes-brasserie")
    got = await ana.say("document envoyer dombes-brasserie 1")
    saved = Path(got.split("📎 plans cuverie.pdf — Plans de la cuverie\n", 1)[1].strip().split("\n")[0])
    assert saved.read_bytes() == PDF
    await ana.check(("document retirer dombes-brasserie 1 oui", fr("Seuls les référents de Brasserie de la Dombes")))
    await camille.check(
        ("document retirer dombes-brasserie 1", fr("Retirer le document 1 de Brasserie de la Dombes, « Plans de la cuverie » ?")),
        ("document retirer dombes-brasserie 1 oui", fr("Document 1 de Brasserie de la Dombes retiré : « Plans de la cuverie ».")),
        ("documents dombes-brasserie", ["2. les statuts"]),
        ("document retirer dombes-brasserie 1 oui", fr("Brasserie de la Dombes n'a pas de document 1")),
        ("document rétablir dombes-brasserie 1", fr("Le document 1 de Brasserie de la Dombes est de retour : « Plans de la cuverie ».")),
        ("document public dombes-brasserie 1", fr("Le document 1 de Brasserie de la Dombes est public")),
    )
    assert "1. Plans de la cuverie" in await ana.say("documents dombes-brasserie")
    assert await ProjectFile.filter(news_id__isnull=True, public=True).count() == 1
    assert await StoredFile.all().count() == 2


async def test_refused_documents_say_why_and_store_nothing(app, tmp_path):
    camille = Dialog(app, "camille")
    (tmp_path / "plans.pdf").write_bytes(b"MZ\x90\x00 an executable named like a plan")
    (tmp_path / "big.pdf").write_bytes(b"%PDF-1.7\n" + b"0" * (21 * 1024 * 1024))
    await camille.check(
        (f"document dombes-brasserie --file {tmp_path / 'plans.pdf'}", [fr("« plans.pdf » n'est pas un fichier que j'accepte."), ".odt"]),
        (f"document dombes-brasserie --file {tmp_path / 'big.pdf'}", [fr("« big.pdf » est trop volumineux :"), "20 Mo au plus."]),
        ("document dombes-brasserie", fr("Quel fichier")),
        ("je l'envoie demain", fr("Aucun fichier n'est venu avec votre message")),
    )
    assert await StoredFile.all().count() == 0 and await ProjectFile.all().count() == 0


async def test_a_file_sent_alone_answers_the_question_waiting_or_is_told_how_to_post_it(app, tmp_path):
    camille = Dialog(app, "camille")
    (tmp_path / "plans.pdf").write_bytes(PDF)
    (tmp_path / "cuves.jpg").write_bytes(photo())
    await camille.check(
        (f"--photo {tmp_path / 'cuves.jpg'}", fr("Une photo sans commande : envoyez-la avec « /nouvelle <projet> <texte> » en légende")),
        ("document dombes-brasserie Plans de la cave", fr("Quel fichier ajoutez-vous à Brasserie de la Dombes ?")),
        (f"--file {tmp_path / 'plans.pdf'}", [fr("Document 1 de Brasserie de la Dombes : "), "Plans de la cave"]),
    )
    assert await StoredFile.all().count() == 1 and not await ProjectFile.filter(news_id__isnull=False).exists()


async def test_mydata_lists_a_persons_files_and_forget_me_erases_their_documents_not_their_news_photos(app, tmp_path):
    camille = Dialog(app, "camille")
    (tmp_path / "plans.pdf").write_bytes(PDF)
    (tmp_path / "cuves.jpg").write_bytes(photo())
    await camille.say(f"document dombes-brasserie --file {tmp_path / 'plans.pdf'}")
    await camille.say(f"nouvelle dombes-brasserie Les cuves --photo {tmp_path / 'cuves.jpg'}")
    summary = await camille.say("mesdonnées")
    assert fr("2 fichiers publiés (documents, photos de nouvelles)") in summary
    export = json.loads(Path(summary.split("📎 ", 1)[1].split("\n", 1)[1].split()[0]).read_text())
    assert sorted((f["kind"], f["filename"]) for f in export["files"]) == [("document", "plans.pdf"), ("photo", "cuves.jpg")]
    warning = await camille.say("oublie-moi")
    assert fr("Le document que vous avez ajouté à un projet est effacé.") in warning
    assert fr("La photo de votre nouvelle reste avec elle, sans votre nom") in warning
    assert await camille.say("oui")
    photo_use = await ProjectFile.get(news_id=(await NewsItem.get(text="Les cuves")).id).prefetch_related("file")
    assert photo_use.person_id is None and not await ProjectFile.filter(news_id__isnull=True).exists()
    assert stored_keys(app) == {photo_use.file.sha256, photo_use.file.thumb_sha256}  # the plan's bytes are gone at once


async def test_forget_me_photos_erases_the_photos_of_their_news_too(app, tmp_path):
    mehdi = Dialog(app, "mehdi")
    (tmp_path / "atelier.jpg").write_bytes(photo())
    await mehdi.say(f"nouvelle conciergerie-rurale L'atelier --photo {tmp_path / 'atelier.jpg'}")
    warning = await mehdi.say("oublie-moi photos")
    assert fr("La photo de votre nouvelle est effacée aussi.") in warning
    await mehdi.say("oui")
    assert await NewsItem.filter(text="L'atelier").exists() and not await ProjectFile.exists()
    assert await StoredFile.all().count() == 0 and stored_keys(app) == set()


async def test_removed_documents_and_unused_files_are_pruned_once_a_day(app, clock, tmp_path):
    camille = Dialog(app, "camille")
    (tmp_path / "plans.pdf").write_bytes(PDF)
    await camille.say(f"document dombes-brasserie --file {tmp_path / 'plans.pdf'}")
    await camille.say("document retirer dombes-brasserie 1 oui")
    stray = "cd" * 32  # bytes a stopped process wrote without their row, two hours ago
    await app.services.files.store.put(stray, b"half a story")
    old = (clock.now - timedelta(hours=2)).timestamp()
    os.utime(app.services.files.store.path(stray), (old, old))
    housekeeping = Housekeeping(Retention(clock, files=app.services.files, documents=app.services.documents), clock)
    first = await housekeeping.tick()
    assert first is not None and first["documents"] == 0 and first["files"] == 1  # the stray; the Undo still works
    assert await ProjectFile.exists() and stray not in stored_keys(app)
    clock.now += timedelta(hours=2)
    second = await housekeeping.tick()
    assert second is not None and "files" not in second  # the rest of the housekeeping is hourly, the files daily
    clock.now += timedelta(days=1)
    third = await housekeeping.tick()
    assert third is not None and third["documents"] == 1 and third["files"] == 1
    assert not await ProjectFile.exists() and not await StoredFile.exists() and stored_keys(app) == set()
    assert fr("n'a pas de document 1") in await camille.say("document rétablir dombes-brasserie 1")


async def test_pruning_sweeps_the_s3_bucket_too(app, clock, s3):
    store = open_store(f"s3://{s3.bucket}/prune", Path("unused"), s3.endpoint, "us-east-1", s3.key_id, s3.secret)
    app.services.files.store = store
    kept = await app.services.files.add(Upload("plans.pdf", PDF), photo=False)
    await ProjectFile.create(project_id=1, file_id=kept.id, filename="plans.pdf", position=1, created_at=clock.now)
    stray = "ef" * 32
    await store.put(stray, b"written, then the process stopped")
    clock.now = datetime.now(timezone.utc) + timedelta(hours=2)  # the bucket dates its objects by the wall clock
    assert await app.services.files.prune() == 1
    assert not await store.exists(stray) and await store.exists(kept.sha256)
