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
from bot.services.file_kinds import thumb_size
from bot.services.files import Files
from models import StoredFile

log = logging.getLogger("relais.matrix")

PLAIN, SEALED = "full", "e2ee"  # a file's upload in clear, and its encrypted upload (its keys travel in the event)
THUMB = {PLAIN: "thumb", SEALED: "thumbenc"}  # its thumbnail's uploads, remembered with the file's


def picture_actions(reply: Reply, room: str, key: str) -> list[dict]:
    """The m.image events of a reply's pictures, named by their hashes (the bytes are looked up when sent)."""
    return [{"op": "picture", "room": room, "file": p.sha256, "filename": p.filename, "mime": p.mime, "caption": p.caption,
             "txn": txn_id("picture", key, str(n))} for n, p in enumerate(reply.elements(Picture))]


def image_content(action: dict, row: StoredFile | None, url: str = "", sealed: dict | None = None, thumb: dict | None = None) -> dict:
    """An m.image event: `url` its mxc:// URI in clear, or `sealed` the encrypted file's URI and keys; `thumb` its
    thumbnail's upload as remembered (`url` or `file`, and its `size`), shown by clients before the full size."""
    info: dict = {"mimetype": action["mime"]}
    if row is not None:
        info.update(size=row.size, w=row.width, h=row.height)
        if thumb:
            w, h = thumb_size(row.width, row.height)
            info["thumbnail_info"] = {"mimetype": "image/jpeg", "size": thumb["size"], "w": w, "h": h}
            if "file" in thumb:
                info["thumbnail_file"] = thumb["file"]
            else:
                info["thumbnail_url"] = thumb["url"]
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
        variant = SEALED if sealed else PLAIN
        remote = await self._remote(action["file"], action["file"], action["mime"], action["filename"], variant)
        row = await StoredFile.get_or_none(sha256=action["file"])
        thumb = None
        if row is not None and row.thumb_sha256:  # uploaded once too, remembered with the file (its size with it)
            thumb = json.loads(await self._remote(action["file"], row.thumb_sha256, "image/jpeg", "thumbnail.jpg", THUMB[variant]))
        content = (image_content(action, row, sealed=json.loads(remote), thumb=thumb) if sealed
                   else image_content(action, row, url=remote, thumb=thumb))
        return await self.outbound.send(room, content, action["txn"]) or None

    async def _remote(self, key: str, source: str, mime: str, filename: str, variant: str) -> str:
        """The upload of the file `key`'s bytes (`source`: its own, or its thumbnail's) for the variant, made once:
        an mxc:// URI, or (encrypted) its URI and keys as JSON; a thumbnail's as JSON with its size."""
        remote = await self.files.remote_id(key, PLATFORM, variant)
        if remote:
            return remote
        lock = self._uploading.setdefault((key, variant), asyncio.Lock())
        async with lock:
            remote = await self.files.remote_id(key, PLATFORM, variant)
            if not remote:
                data = await self.files.read(source)
                encrypt = variant in (SEALED, THUMB[SEALED])
                uri, keys = await self.crypto.upload(data, mime, filename, encrypt)
                self.uploads += 1
                sealed = None
                if keys is not None:
                    sealed = {"url": uri, "key": keys["key"], "iv": keys["iv"], "hashes": keys["hashes"], "v": keys.get("v", "v2")}
                if variant in THUMB.values():
                    remote = json.dumps({"size": len(data), **({"file": sealed} if sealed else {"url": uri})}, separators=(",", ":"))
                else:
                    remote = json.dumps(sealed, separators=(",", ":")) if sealed else uri
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
