"""What a file is, read from its bytes (never its name), the types accepted and their limits, and images cleaned with Pillow."""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass

from bot.core.errors import UserError
from bot.core.i18n import N_

MB = 1024 * 1024
PHOTO_MAX = 10 * MB  # a photo as sent (it is stored smaller: at most FULL_SIDE pixels a side, no metadata)
DOCUMENT_MAX = 20 * MB
PHOTOS_PER_NEWS = 4
FULL_SIDE = 2048  # what a reader's screen shows; a phone's 12-megapixel original is not kept
THUMB_SIDE = 480
MAX_PIXELS = 60_000_000  # a larger image is refused before it is decoded (a "decompression bomb")

IMAGES = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}
DOCUMENTS = {
    "application/pdf": ".pdf",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.graphics": ".odg",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    **IMAGES,
}
OOXML = {"word/": ".docx", "xl/": ".xlsx", "ppt/": ".pptx"}


def sniff(data: bytes) -> str:
    """The MIME type the bytes say, or "" when they are none of the accepted kinds."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zipped(data)
    return ""


def _zipped(data: bytes) -> str:
    """OpenDocument names its type in a first `mimetype` member; Office Open XML by its folders."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if names and names[0] == "mimetype":
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return declared if declared in DOCUMENTS else ""
            if "[Content_Types].xml" in names:
                for folder, ext in OOXML.items():
                    if any(n.startswith(folder) for n in names):
                        return next(m for m, e in DOCUMENTS.items() if e == ext)
    except (zipfile.BadZipFile, KeyError, ValueError):
        return ""
    return ""


def accepted(data: bytes, name: str, limit: int, kinds: dict[str, str]) -> str:
    """The sniffed type of an upload within its limit, or a UserError that says the limit and the types accepted."""
    if len(data) > limit:
        raise UserError(N_("“{name}” is too large: {size} MB, at most {limit} MB."), name=name[:80],
                        size=f"{len(data) / MB:.1f}", limit=limit // MB)
    mime = sniff(data)
    if mime not in kinds:
        raise UserError(N_("“{name}” is not a file I accept. Accepted: {kinds}."), name=name[:80],
                        kinds=", ".join(sorted(set(kinds.values()))))
    return mime


@dataclass(frozen=True)
class Cleaned:
    """An image as stored: re-encoded without its metadata (EXIF, GPS, comments), and its thumbnail (a JPEG)."""

    data: bytes
    mime: str
    width: int
    height: int
    thumb: bytes


def clean_image(data: bytes, mime: str) -> Cleaned:
    """Decode, turn upright (the EXIF orientation), shrink to FULL_SIDE, and encode again with no metadata at all;
    blocking: run it in a thread."""
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise UserError(N_("This image is too large: at most {pixels} million pixels."), pixels=MAX_PIXELS // 1_000_000)
                image.load()
                upright = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise UserError(N_("This image cannot be read.")) from exc
    upright.thumbnail((FULL_SIDE, FULL_SIDE))
    out = io.BytesIO()
    if mime == "image/jpeg":
        upright.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif mime == "image/png":
        upright.save(out, "PNG", optimize=False)
    elif mime == "image/webp":
        upright.save(out, "WEBP", quality=85)
    else:  # a GIF: its first frame (an animation is not a photo)
        upright.save(out, "GIF")
    full = out.getvalue()
    thumb = upright.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    small = io.BytesIO()
    thumb.convert("RGB").save(small, "JPEG", quality=80)
    return Cleaned(full, mime, upright.width, upright.height, small.getvalue())
