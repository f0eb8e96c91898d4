"""Pictures of the file store sent as m.image (uploaded to the media repository once, the mxc:// reused), and the
photos members send (m.image, m.file) read back from the media repository, decrypted when the room is encrypted."""

from __future__ import annotations

import asyncio
import json
import logging

from nio import AsyncClient, DownloadResponse
from nio.crypto import decrypt_attachment

from bot.adapters.matrix.crypto import Crypto
from bot.adapters.matrix.events import PLATFORM, txn_id
from bot.adapters.matrix.outbound import Outbound, SendFailed
from bot.core.incoming import Upload
from bot.core.replies import Picture, Reply
from bot.services.files import Files
from models import StoredFile

log = logging.getLogger("relais.matrix")

PLAIN, SEALED = "full", "e2ee"  # a file's upload in clear, and its encrypted upload (its keys travel in the event)


def picture_actions(reply: Reply, room: str, key: str) -> list[dict]:
    """The m.image events of a reply's pictures, named by their hashes (the bytes are looked up when sent)."""
    return [{"op": "picture", "room": room, "file": p.sha256, "filename": p.filename, "mime": p.mime, "caption": p.caption,
             "txn": txn_id("picture", key, str(n))} for n, p in enumerate(reply.elements(Picture))]


def image_content(action: dict, row: StoredFile | None, url: str = "", sealed: dict | None = None) -> dict:
    """An m.image event: `url` its mxc:// URI in clear, or `sealed` the encrypted file's URI and keys."""
    info: dict = {"mimetype": action["mime"]}
    if row is not None:
        info.update(size=row.size, w=row.width, h=row.height)
    content = {"msgtype": "m.image", "body": action.get("caption") or action["filename"], "filename": action["filename"],
               "info": info}
    if sealed is not None:
        content["file"] = sealed
    else:
        content["url"] = url
    return content


class Pictures:
    """Sends stored pictures: the first send of a picture uploads it while the other sends of it wait, then every
    room gets the same mxc:// (an encrypted room, the same encrypted upload: its keys go inside each encrypted event)."""

    def __init__(self, files: Files, crypto: Crypto, outbound: Outbound):
        self.files = files
        self.crypto = crypto
        self.outbound = outbound
        self.uploads = 0  # uploads made (the rest named an mxc:// already there)
        self._uploading: dict[tuple[str, str], asyncio.Lock] = {}

    async def send(self, action: dict) -> str | None:
        room = action["room"]
        await self.crypto.ensure_room(room)
        sealed = self.crypto.encrypted(room)
        remote = await self._remote(action, SEALED if sealed else PLAIN)
        row = await StoredFile.get_or_none(sha256=action["file"])
        content = image_content(action, row, sealed=json.loads(remote)) if sealed else image_content(action, row, url=remote)
        return await self.outbound.send(room, content, action["txn"]) or None

    async def _remote(self, action: dict, variant: str) -> str:
        key = action["file"]
        remote = await self.files.remote_id(key, PLATFORM, variant)
        if remote:
            return remote
        lock = self._uploading.setdefault((key, variant), asyncio.Lock())
        async with lock:
            remote = await self.files.remote_id(key, PLATFORM, variant)
            if not remote:
                data = await self.files.read(key)
                uri, keys = await self.crypto.upload(data, action["mime"], action["filename"], variant == SEALED)
                self.uploads += 1
                if keys is not None:
                    remote = json.dumps({"url": uri, "key": keys["key"], "iv": keys["iv"], "hashes": keys["hashes"],
                                         "v": keys.get("v", "v2")}, separators=(",", ":"))
                else:
                    remote = uri
                await self.files.remember(key, PLATFORM, remote, variant)
        self._uploading.pop((key, variant), None)
        return remote


async def download(client: AsyncClient, outbound: Outbound, media: dict) -> Upload:
    """A member's file from the media repository (decrypted when it came encrypted); the core checks its type and size
    (the homeserver's upload limit bounds what is fetched)."""
    name = media.get("filename") or "photo"
    resp = await outbound.call(lambda: client.download(mxc=media["url"]), "download")
    if not isinstance(resp, DownloadResponse):
        raise SendFailed("download failed")
    data = resp.body if isinstance(resp.body, bytes) else b""
    sealed = media.get("file")
    if sealed:
        try:
            data = decrypt_attachment(data, sealed["key"]["k"], sealed["hashes"]["sha256"], sealed["iv"])
        except Exception as exc:  # a wrong key or a damaged file: refused as unreadable, not a crash
            log.warning("matrix attachment not decrypted", extra={"error": type(exc).__name__})
            return Upload(name, b"")
    return Upload(name, data)
