"""News photos on Matrix against a real Synapse: a referent's m.image with the command as its caption posts the news
with the photo (downloaded from the media repository, decrypted in an encrypted chat), and followers get an m.image
uploaded once, the same mxc:// (or the same encrypted upload) in every direct chat, with its thumbnail (uploaded once
too), its size and dimensions."""

from __future__ import annotations

import io

from nio import DownloadResponse, UploadResponse
from nio.crypto import decrypt_attachment
from PIL import Image

from bot.core.incoming import Incoming, Upload
from models import Community, FileUpload, Follow, NewsItem, Project, ProjectFile, Role, StoredFile
from tests.adapters.matrix_helpers import Member, Relais, body
from tests.adapters.test_matrix_e2ee import SECRET, encrypted_from, joined, members  # noqa: F401
from tests.test_files import gps_of, photo


def images(member: Member, room: str, sender: str) -> list[dict]:
    return member.find(room, lambda e: e.get("sender") == sender and (e.get("content") or {}).get("msgtype") == "m.image")


async def download(member: Member, url: str) -> bytes:
    resp = await member.client.download(mxc=url)
    assert isinstance(resp, DownloadResponse), resp
    return resp.body


async def upload(member: Member, data: bytes, encrypt: bool = False) -> tuple[str, dict | None]:
    resp, keys = await member.client.upload(io.BytesIO(data), content_type="image/jpeg", filename="brassin.jpg",
                                            filesize=len(data), encrypt=encrypt)
    assert isinstance(resp, UploadResponse), resp
    return resp.content_uri, keys


async def follow(relais: Relais, *followers: Member) -> None:
    brasserie = await Project.get(slug="dombes-brasserie")
    for member in followers:
        await relais.grant(member.user_id, Role.MEMBER)
        person = (await relais.app.services.people.account("matrix", member.user_id)).person
        await Follow.create(person=person, project=brasserie)


async def direct_chats(*followers: Member) -> list[str]:
    """The direct chats Relais opened to notify them, joined."""
    rooms = []
    for member in followers:
        room = next(iter(await member.wait(lambda m=member: m.invites, what="direct chat invitation")))
        await member.client.join(room)
        rooms.append(room)
    return rooms


async def test_followers_get_one_upload_and_a_referents_captioned_image_posts_news(people, relais_on):
    ana, bea, ref = await people("ana"), await people("bea"), await people("ref")
    async with await relais_on() as relais:
        await Community.filter(slug="usine-vivante").update(matrix_encryption=False)  # these clients have no encryption
        await follow(relais, ana, bea)
        reply = await relais.app.dispatcher.handle(Incoming(platform="console", address="camille", text="nouvelle dombes-brasserie Premier brassin",
                                                            files=(Upload("brassin.jpg", photo()),)))
        assert reply is not None and not reply.error, reply
        rooms = await direct_chats(ana, bea)
        got = [(await member.wait(lambda m=member, r=room: images(m, r, relais.user_id), what="the photo"))[0]
               for member, room in zip((ana, bea), rooms)]
        assert all("Premier brassin" in body(e) for m, r in zip((ana, bea), rooms) for e in m.notices(r, relais.user_id)[-1:])
        urls = {e["content"]["url"] for e in got}
        assert len(urls) == 1 and relais.adapter.pictures.uploads == 2, "the photo and its thumbnail uploaded once, reused"
        content = got[0]["content"]
        row = await StoredFile.get()
        info = content["info"]
        assert content["filename"] == "brassin.jpg" and (info["mimetype"], info["size"], info["w"], info["h"]) == (
            "image/jpeg", row.size, row.width, row.height)
        assert len({e["content"]["info"]["thumbnail_url"] for e in got}) == 1
        thumb = await relais.app.services.files.read(row.thumb_sha256)
        assert await download(ana, info["thumbnail_url"]) == thumb
        assert info["thumbnail_info"] == {"mimetype": "image/jpeg", "size": len(thumb), **dict(zip("wh", Image.open(io.BytesIO(thumb)).size))}
        assert (await FileUpload.get(file_id=row.id, platform="matrix", variant="full")).remote_id in urls
        held = await download(ana, urls.pop())
        assert held == await relais.app.services.files.read(row.sha256) and gps_of(held) == {}

        # A referent sends a photo whose caption is the command: the news carries it, cleaned of its GPS.
        await relais.grant(ref.user_id, Role.FACILITATOR)
        dm = await ref.create_room(invite=[relais.user_id], direct=True)
        await ref.wait(lambda: ref.membership(dm, relais.user_id) == "join", what="Relais joining")
        url, _ = await upload(ref, photo(colour=(0, 160, 60)))
        asked = await ref.send(dm, {"msgtype": "m.image", "body": "nouvelle dombes-brasserie Le houblon pousse",
                                    "filename": "brassin.jpg", "url": url, "info": {"mimetype": "image/jpeg"}})
        answer = body(await ref.reply_to(dm, asked, relais.user_id))
        assert "Nouvelle publiée" in answer and "1 photo" in answer, answer
        item = await NewsItem.get(text="Le houblon pousse")
        [use] = await ProjectFile.filter(news_id=item.id).prefetch_related("file")
        stored = await relais.app.services.files.read(use.file.sha256)
        assert gps_of(stored) == {} and use.filename == "brassin.jpg"

        url, _ = await upload(ref, b"%PDF-1.4 not a photo")  # a document where a photo is wanted: refused, nothing posted
        asked = await ref.send(dm, {"msgtype": "m.file", "body": "nouvelle dombes-brasserie Le plan", "filename": "plan.pdf", "url": url})
        refused = await ref.reply_to(dm, asked, relais.user_id)
        assert "⚠️" in body(refused) and not await NewsItem.filter(text="Le plan").exists()


async def test_in_encrypted_chats_the_photo_is_read_decrypted_and_sent_as_one_encrypted_upload(members, synapse, tmp_path):
    ref, ana, bea = await members("ref"), await members("ana"), await members("bea")
    async with await Relais.new(synapse, tmp_path, secret=SECRET) as relais:
        await relais.grant(ref.user_id, Role.FACILITATOR)
        await follow(relais, ana, bea)
        dm = await ref.create_room(invite=[relais.user_id], direct=True, encrypted=True)
        await joined(ref, dm, relais.user_id)
        url, keys = await upload(ref, photo(colour=(220, 30, 30)), encrypt=True)
        asked = await ref.send(dm, {"msgtype": "m.image", "body": "nouvelle dombes-brasserie Brassin de Noël", "filename": "noel.jpg",
                                    "file": {"url": url, **(keys or {})}, "info": {"mimetype": "image/jpeg"}})
        answer = await ref.reply_to(dm, asked, relais.user_id)
        assert "1 photo" in body(answer) and answer["event_id"] in ref.decrypted
        [use] = await ProjectFile.filter(news__text="Brassin de Noël").prefetch_related("file")
        stored = await relais.app.services.files.read(use.file.sha256)
        assert gps_of(stored) == {}

        rooms = await direct_chats(ana, bea)
        got = []
        for member, room in zip((ana, bea), rooms):
            found = await member.wait(lambda m=member, r=room: [e for e in encrypted_from(m, r, relais.user_id)
                                                                if e["content"].get("msgtype") == "m.image"], what="the photo, decrypted")
            got.append(found[0]["content"])
        assert all("url" not in c for c in got) and len({c["file"]["url"] for c in got}) == 1
        assert len({c["info"]["thumbnail_file"]["url"] for c in got}) == 1 and all("thumbnail_url" not in c["info"] for c in got)
        assert relais.adapter.pictures.uploads == 2, "one encrypted upload of the photo, one of its thumbnail; keys in each event"
        sealed = got[1]["file"]
        plain = decrypt_attachment(await download(bea, sealed["url"]), sealed["key"]["k"], sealed["hashes"]["sha256"], sealed["iv"])
        assert plain == stored
