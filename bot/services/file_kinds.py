"""What a file is, read from its bytes (never its name), the types accepted and their limits, and images cleaned with Pillow."""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import sys
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
                        size=round(len(data) / MB, 1), limit=limit // MB)
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


def large_buffers_returned(threshold: int = MB) -> bool:
    """Have glibc's malloc give each buffer of `threshold` bytes or more its own mapping, returned to the system when
    freed. By default the threshold rises to the largest buffer freed so far: once a decoded photo (a dozen MB) was
    freed, the next ones are carved from the heap, which then fragments and keeps growing (tens of MB over a few
    photos, in every process that posts them). Returns whether it was set (elsewhere than glibc nothing is done)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, threshold))
    except (OSError, AttributeError):  # another C library (musl): its own allocator already returns large buffers
        return False


M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def clean_image(data: bytes, mime: str) -> Cleaned:
    """Decode, turn upright (the EXIF orientation), shrink to FULL_SIDE, and encode again with no metadata at all;
    blocking: run it in a thread. At most two decoded copies live at once (the decoded image and its shrunk
    one): the turn made in place, the thumbnail made from the shrunk image, no conversion to the mode it has."""
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise UserError(N_("This image is too large: at most {pixels} million pixels."), pixels=MAX_PIXELS // 1_000_000)
                if mime == "image/jpeg":
                    image.draft("RGB", (FULL_SIDE, FULL_SIDE))  # a large JPEG decoded at the scale it is shown (1/2, 1/4)
                image.load()
                ImageOps.exif_transpose(image, in_place=True)  # no copy of the full size
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise UserError(N_("This image cannot be read.")) from exc
    full = _shrunk(image, FULL_SIDE)
    del image  # the decoded size gone before encoding
    out = io.BytesIO()
    if mime == "image/jpeg":
        _rgb(full).save(out, "JPEG", quality=85, optimize=True)
    elif mime == "image/png":
        full.save(out, "PNG", optimize=False)
    elif mime == "image/webp":
        full.save(out, "WEBP", quality=85)
    else:  # a GIF: its first frame (an animation is not a photo)
        full.save(out, "GIF")
    stored = out.getvalue()
    del out
    small = io.BytesIO()
    _rgb(_shrunk(full, THUMB_SIDE)).save(small, "JPEG", quality=80)
    return Cleaned(stored, mime, full.width, full.height, small.getvalue())


def fitted(width: int, height: int, side: int) -> tuple[int, int]:
    """The size of an image within side × side, aspect kept (its own when it fits)."""
    if width <= side and height <= side:
        return width, height
    scale = min(side / width, side / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumb_size(width: int, height: int) -> tuple[int, int]:
    """The size of a stored image's thumbnail (made by `clean_image`), from the image's."""
    return fitted(width, height, THUMB_SIDE)


def _shrunk(image, side: int):
    """The image within side × side (itself when it fits): a new image, the given one left as it is."""
    size = fitted(image.width, image.height, side)
    return image if size == image.size else image.resize(size, reducing_gap=3.0)


def _rgb(image):
    return image if image.mode == "RGB" else image.convert("RGB")
