"""A news item's photos in the weekly digest: small thumbnails inline (`cid:`, each image once per mail, width and height
set, never wider than the screen), only in the full entries; the text part says how many and reads well on its own."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.core.incoming import Upload
from bot.services.digest import THUMB_WIDTH
from models import Account, Follow, Membership, NewsItem, Person, Project, Role
from tests.mail.conftest import Relais
from tests.mail.test_digest_combined import two_communities, week
from tests.test_files import photo


async def _news_with_photos(app, project: Project, text: str, now, *colours) -> NewsItem:
    item = await NewsItem.create(project=project, text=text, platform="console", created_at=now - timedelta(days=1))
    stored = [(await app.services.files.add(Upload(f"photo{n}.jpeg", photo(colour=c)), photo=True), f"photo{n}.jpeg")
              for n, c in enumerate(colours)]
    await app.services.files.attach_news(project.id, item.id, None, stored)
    return item


def _parts(message):
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    images = [p for p in message.walk() if p.get_content_maintype() == "image"]
    return text, html, images


async def test_the_news_photos_show_as_small_inline_thumbnails_once_each(relais: Relais):
    app, now = relais.app, relais.clock()
    usine, solidons, lea = await two_communities(now)
    followed = await Project.get(id=(await Follow.get(person=lea)).project_id)
    # Two news of the followed project share a photo: it is attached once; a project not followed shows no image.
    await _news_with_photos(app, followed, "La charpente est montée.", now, (200, 120, 40), (20, 90, 200))
    await _news_with_photos(app, followed, "Et le toit aussi.", now, (200, 120, 40))
    other = await Project.filter(community=usine).exclude(id=followed.id).order_by("id").first()
    assert other is not None
    await _news_with_photos(app, other, "Le jardin a ses bacs.", now, (10, 160, 60))
    sam = await Person.create(display_name="Sam")  # one community: the usual digest carries them too
    await Account.create(person=sam, platform="email", address="sam@example.org", confirmed=True, preferred=True)
    await Membership.create(person=sam, community=usine, role=Role.OBSERVER)
    await Follow.create(person=sam, project=followed)
    await (await app.digest_runner()).run(usine, now, week(app, usine), exact=True)
    for address in ("lea@example.org", "sam@example.org"):
        mail, = relais.sink.received_by(address)
        text, html, images = _parts(mail.message)
        cids = [p["Content-ID"].strip("<>") for p in images]
        assert len(cids) == 2 == len(set(cids)), address  # two distinct photos of the followed project, once each
        assert all(p.get_content_type() == "image/jpeg" and p.get_payload(decode=True)[:2] == b"\xff\xd8" for p in images)
        tags = re.findall(r"<img [^>]*>", html)
        assert len(tags) == 3 and {m.group(1) for tag in tags if (m := re.search(r'src="cid:([^"]+)"', tag))} == set(cids)
        for tag in tags:
            found = re.search(r'width="(\d+)"', tag)
            assert found is not None, tag
            width = int(found.group(1))
            assert 0 < width <= THUMB_WIDTH and re.search(r'height="\d+"', tag) and "max-width: 100%" in tag
        related = next(p for p in mail.message.walk() if p.get_content_type() == "multipart/related")
        assert [p.get_content_maintype() for p in related.iter_parts()][0] == "text"
        # The text part alone: the photos counted, no markup, each link on a line of its own words.
        assert "(2 photos)" in text and "(1 photo)" in text and "Le jardin a ses bacs." in text
        assert not re.search(r"<[a-z/][^>]*>|&[a-z]+;|cid:", text), address
        for url in re.findall(r"https?://\S+", text):
            assert url[-1] not in ".,;)»" and len(url) < 200, url
