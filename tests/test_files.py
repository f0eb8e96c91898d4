"""The file store: types read from the bytes and refused with what is accepted, sizes refused with the limit, images
cleaned of their EXIF (GPS included) and given a thumbnail, each file stored once by content hash — in the data
directory and in an S3 bucket (moto's server on loopback) — and orphans pruned; news with photos on the console."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from bot.adapters.console import ConsoleChat
from bot.core.errors import UserError
from bot.core.i18n import french_typography as fr
from bot.core.incoming import Upload
from bot.services.file_kinds import DOCUMENTS, IMAGES, MB, accepted, clean_image, sniff
from bot.services.file_store import LocalStore, S3Store, open_store
from models import NewsItem, ProjectFile, StoredFile
from tests.conftest import Dialog
from tests.peers.s3 import s3  # noqa: F401


def photo(width: int = 1600, height: int = 1200, colour=(200, 120, 40), gps: bool = True) -> bytes:
    """A JPEG as a phone writes it: its maker and where it was taken in the EXIF."""
    image = Image.new("RGB", (width, height), colour)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (46.0, 3.0, 21.5)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def gps_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo)) | dict(image.getexif())


def refusal(exc: pytest.ExceptionInfo) -> str:
    return exc.value.message.format(**exc.value.params)


def test_types_come_from_the_bytes_not_the_name():
    assert sniff(photo()) == "image/jpeg"
    assert sniff(b"%PDF-1.7\n...") == "application/pdf"
    assert sniff(odt()) == "application/vnd.oasis.opendocument.text"
    assert sniff(b"MZ\x90\x00 an executable named plans.pdf") == ""
    with pytest.raises(UserError) as refused:  # a PDF is a document, not a photo
        accepted(b"%PDF-1.7\n...", "plans.jpg", 10 * MB, IMAGES)
    assert refusal(refused) == "“plans.jpg” is not a file I accept. Accepted: .gif, .jpg, .png, .webp."
    with pytest.raises(UserError) as refused:
        accepted(b"#!/bin/sh\nrm -rf /", "plans.pdf", 20 * MB, DOCUMENTS)
    assert "plans.pdf" in refusal(refused) and ".odt" in refusal(refused) and ".pdf" in refusal(refused)


def test_sizes_are_refused_with_the_limit():
    with pytest.raises(UserError) as refused:
        accepted(b"%PDF-" + b"0" * (21 * MB), "big.pdf", 20 * MB, DOCUMENTS)
    assert refusal(refused) == "“big.pdf” is too large: 21.0 MB, at most 20 MB."


def test_images_lose_their_exif_and_gps_and_get_a_thumbnail():
    raw = photo(3000, 2000)
    assert gps_of(raw)  # the test image does carry a position
    cleaned = clean_image(raw, "image/jpeg")
    assert gps_of(cleaned.data) == {} and gps_of(cleaned.thumb) == {}
    assert (cleaned.width, cleaned.height) == (2048, 1365)
    with Image.open(io.BytesIO(cleaned.thumb)) as thumb:
        assert max(thumb.size) == 480 and thumb.format == "JPEG"
    with pytest.raises(UserError):
        clean_image(b"\xff\xd8\xff" + b"not really a jpeg", "image/jpeg")


async def test_a_file_is_stored_once_by_its_content_and_pruned_when_unused(any_app, clock):
    files = any_app.services.files
    raw = photo()
    first = await files.add(Upload("IMG_0001.jpg", raw), photo=True)
    again = await files.add(Upload("same-photo-renamed.jpg", raw), photo=True)
    assert again.id == first.id and await StoredFile.all().count() == 1
    store = files.store
    assert isinstance(store, LocalStore)
    stored = sorted(p.name for p in store.root.rglob("*") if p.is_file())
    assert stored == sorted([first.sha256, first.thumb_sha256])  # the image and its thumbnail, nothing else
    assert gps_of(await files.read(first.sha256)) == {}
    doc = await files.add(Upload("statuts.odt", odt()), photo=False)
    assert doc.mime == "application/vnd.oasis.opendocument.text" and doc.thumb_sha256 == ""
    with pytest.raises(UserError):
        await files.add(Upload("statuts.odt", odt()), photo=True)  # a document is not a photo
    assert await files.prune() == 0  # too recent: a news item may be about to use them
    clock.now += timedelta(hours=2)
    assert await files.prune() == 2
    assert await StoredFile.all().count() == 0 and not [p for p in store.root.rglob("*") if p.is_file()]


async def test_the_s3_store_keeps_files_in_the_bucket(app, s3):
    store = open_store(f"s3://{s3.bucket}/relais", Path("unused"), s3.endpoint, "us-east-1", s3.key_id, s3.secret)
    assert isinstance(store, S3Store)
    key = "ab" * 32
    assert not await store.exists(key)
    await store.put(key, b"bytes of a plan")
    assert await store.exists(key) and await store.get(key) == b"bytes of a plan"
    await store.delete(key)
    assert not await store.exists(key)
    app.services.files.store = store  # the whole road on S3: cleaned, stored once, read back
    row = await app.services.files.add(Upload("chantier.jpg", photo()), photo=True)
    assert gps_of(await app.services.files.read(row.sha256)) == {}
    assert (await app.services.files.read(row.thumb_sha256))[:3] == b"\xff\xd8\xff"
    import boto3

    listed = boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1", aws_access_key_id=s3.key_id,
                          aws_secret_access_key=s3.secret).list_objects_v2(Bucket=s3.bucket, Prefix="relais/")
    names = sorted(o["Key"].rsplit("/", 1)[-1] for o in listed.get("Contents", []))
    assert names == sorted([row.sha256, row.thumb_sha256])


async def notes(app, name: str) -> list[str]:
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def test_a_referent_posts_news_with_a_photo_on_the_console_and_followers_get_it(app, tmp_path):
    camille = Dialog(app, "camille")
    path = tmp_path / "brassage.jpg"
    path.write_bytes(photo())
    answer = await camille.say(f"nouvelle dombes-brasserie Premier brassin de la saison --photo {path}")
    assert fr("Nouvelle publiée pour Brasserie de la Dombes.") in answer and "Avec 1 photo." in answer
    item = await NewsItem.filter(text="Premier brassin de la saison").get()
    [use] = await ProjectFile.filter(news_id=item.id).prefetch_related("file")
    assert use.filename == "brassage.jpg" and use.person_id is not None
    for follower in ("ana", "mehdi"):
        [note] = await notes(app, follower)
        assert "Premier brassin de la saison" in note and "📎 brassage.jpg" in note
        saved = Path(note.split("📎 brassage.jpg", 1)[1].split()[0])
        assert saved.read_bytes() == await app.services.files.read(use.file.sha256) and gps_of(saved.read_bytes()) == {}


async def test_a_photo_sent_after_the_news_joins_it_reaches_its_followers_and_goes_with_its_undo(app, tmp_path):
    camille = Dialog(app, "camille")
    answer = await camille.say("nouvelle dombes-brasserie Cuve neuve livrée")
    assert fr("Une photo avec ? Envoyez-la dans votre prochain message (4 au plus)") in answer
    item = await NewsItem.get(text="Cuve neuve livrée")
    [note] = await notes(app, "ana")
    assert "Cuve neuve livrée" in note and "📎" not in note
    answer = await camille.say("suivis")  # words are read as usual: the question still waits for the photo
    assert answer.startswith(fr("Vous suivez :")), answer
    assert not await ProjectFile.filter(news_id=item.id).exists()

    path = tmp_path / "cuve.jpg"
    path.write_bytes(photo())
    answer = await camille.say(f"--photo {path}")
    assert "1 photo ajoutée à la nouvelle de Brasserie de la Dombes." in answer and "2 abonné·es prévenu·es." in answer, answer
    [use] = await ProjectFile.filter(news_id=item.id).prefetch_related("file")
    assert use.position == 0 and gps_of(await app.services.files.read(use.file.sha256)) == {}
    [note] = await notes(app, "ana")
    assert "photos de la nouvelle de" in note and "Cuve neuve livrée" in note and "📎 cuve.jpg" in note, note
    answer = await camille.say(f"--photo {path}")  # the question is answered: a photo alone is explained again
    assert fr("Une photo sans commande : envoyez-la avec « /nouvelle <projet> <texte> » en légende") in answer, answer
    assert await ProjectFile.filter(news_id=item.id).count() == 1

    answer = await camille.say(f"nouvelle supprimer dombes-brasserie {item.id}")  # the news' undo takes its photos back
    assert not await NewsItem.filter(id=item.id).exists() and not await ProjectFile.filter(news_id=item.id).exists()


async def test_refused_files_lose_nothing_and_say_why(app, tmp_path):
    camille = Dialog(app, "camille")
    notes_txt = tmp_path / "notes.jpg"
    notes_txt.write_text("not an image")
    answer = await camille.say(f"nouvelle dombes-brasserie Brassage samedi --photo {notes_txt}")
    assert fr("« notes.jpg » n'est pas un fichier que j'accepte. Acceptés : .gif, .jpg, .png, .webp.") in answer
    answer = await camille.say(f"nouvelle dombes-brasserie Brassage samedi --photo {tmp_path / 'missing.jpg'}")
    assert fr("« missing.jpg » ne peut pas être lu : absent ou vide.") in answer
    many = " ".join(f"--photo {tmp_path / f'p{n}.jpg'}" for n in range(5))
    for n in range(5):
        (tmp_path / f"p{n}.jpg").write_bytes(photo(colour=(n * 40, 10, 10), gps=False))
    answer = await camille.say(f"nouvelle dombes-brasserie Brassage samedi {many}")
    assert "4 photos au plus avec une nouvelle." in answer
    assert not await NewsItem.filter(text__contains="Brassage samedi").exists()
    assert await StoredFile.all().count() == 0
