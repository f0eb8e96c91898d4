"""News with photos by mail: a referent mails Relais the command with the photos attached; the news is posted with
them (cleaned of their EXIF) and a follower reading by mail gets them inline (cid:) in the notification."""

from __future__ import annotations

from email.message import EmailMessage

from models import Account, NewsItem, ProjectFile
from tests.mail.conftest import RELAIS, Relais
from tests.test_files import gps_of, photo


async def email_for(name: str, address: str) -> None:
    """The demo member `name` (a console account) reads their mail at `address` first."""
    person_id = (await Account.get(platform="console", address=name)).person_id
    await Account.filter(person_id=person_id).update(preferred=False)
    await Account.create(person_id=person_id, platform="email", address=address, confirmed=True, preferred=True)


def camilles_mail(message_id: str, subject: str, body: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = "Camille <camille@example.org>", RELAIS, subject, message_id
    mail.set_content(body)
    return mail


async def test_a_mailed_news_with_photos_reaches_a_follower_with_the_images_inline(relais: Relais):
    await email_for("camille", "camille@example.org")
    await email_for("ana", "ana@example.org")
    mail = camilles_mail("<p1@example.org>", "Brasserie", "nouvelle dombes-brasserie Les nouvelles cuves sont arrivées\n\nCamille\n")
    mail.add_attachment(photo(), maintype="image", subtype="jpeg", filename="cuves.jpg")
    mail.add_attachment(photo(colour=(20, 90, 200)), maintype="image", subtype="jpeg", filename="IMG_2231.jpeg")
    await relais.send(mail.as_bytes(), mail_from="camille@example.org")
    await relais.settle()
    item = await NewsItem.get(text="Les nouvelles cuves sont arrivées")
    uses = await ProjectFile.filter(news_id=item.id).order_by("position")
    assert [u.filename for u in uses] == ["cuves.jpg", "IMG_2231.jpg"]
    [note] = await relais.wait_mail(predicate=lambda m: "ana@example.org" in m.rcpt_tos)
    images = [part for part in note.message.walk() if part.get_content_maintype() == "image"]
    assert len(images) == 2 and all(part["Content-ID"] for part in images)
    html = next(part for part in note.message.walk() if part.get_content_type() == "text/html").get_content()
    assert all(f'cid:{part["Content-ID"].strip("<>")}' in html for part in images)
    assert all(gps_of(part.get_payload(decode=True)) == {} for part in images)


async def test_a_photo_mailed_in_reply_to_the_question_joins_the_news_posted_without_one(relais: Relais):
    await email_for("camille", "camille@example.org")
    await email_for("ana", "ana@example.org")
    mail = camilles_mail("<p2@example.org>", "Brasserie", "nouvelle dombes-brasserie La cuve est installée\n")
    await relais.send(mail.as_bytes(), mail_from="camille@example.org")
    [answer] = await relais.wait_mail(predicate=lambda m: "camille@example.org" in m.rcpt_tos)
    text = next(part for part in answer.message.walk() if part.get_content_type() == "text/plain").get_content()
    assert "Une photo avec" in text, text
    item = await NewsItem.get(text="La cuve est installée")

    reply = camilles_mail("<p3@example.org>", "Re: " + str(answer.message["Subject"]), "La voici.\n\nCamille\n")
    reply["In-Reply-To"] = answer.message["Message-ID"]
    reply.add_attachment(photo(colour=(200, 120, 40)), maintype="image", subtype="jpeg", filename="cuve.jpg")
    await relais.send(reply.as_bytes(), mail_from="camille@example.org")
    await relais.settle()
    assert [u.filename for u in await ProjectFile.filter(news_id=item.id)] == ["cuve.jpg"]
    notes = await relais.wait_mail(count=2, predicate=lambda m: "ana@example.org" in m.rcpt_tos)
    photos = [part for part in notes[-1].message.walk() if part.get_content_maintype() == "image"]
    assert len(photos) == 1 and "photos de la nouvelle" in notes[-1].message["Subject"] + str(notes[-1].message.get_body(("plain",)).get_content())
