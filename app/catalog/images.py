"""Product pictures: checked by their content (not their name), re-encoded to strip
metadata, resized, and stored with a thumbnail beside them."""

from __future__ import annotations

import io
import secrets
import struct
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from app.errors import Invalid

MAX_BYTES = 10 * 1024 * 1024
# Pixels are checked from the header, before any decoding: a 5 kB PNG can claim 30000 × 30000
# pixels, which decoded would take 3.6 GB. Pillow keeps 4 bytes a pixel for colour pictures.
MAX_PIXELS = 40_000_000  # JPEG: decoded at a reduced scale (see _decode), ~40 MB at most
MAX_FULL_DECODE_PIXELS = 12_000_000  # PNG and WebP decode whole: 48 MB at most (a 12 MP photo)
ACCEPTED = {"JPEG", "PNG", "WEBP"}
# A PNG's text chunks are inflated while its header is read: Pillow allows 64 MB of them,
# which a 200 kB file reaches. We keep no metadata, and real pictures carry a few kB.
PngImagePlugin.MAX_TEXT_CHUNK = 256 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 1024 * 1024
FULL = 1600
THUMB = 400


class NotAnImage(Invalid):
    code = "not_an_image"
    default_message = _l("That file is not a picture we can use. Upload a JPEG, PNG or WebP.")


class ImageTooLarge(Invalid):
    code = "image_too_large"
    default_message = _l("That picture is too large. Upload one under 10 MB.")


class TooManyPixels(ImageTooLarge):
    code = "too_many_pixels"

    def __init__(self, limit: int = MAX_FULL_DECODE_PIXELS, *, field: str | None = None):
        super().__init__(_l("That picture has too many pixels for us to open (more than "
                            "%(n)d megapixels). Upload a smaller photo or a screenshot.",
                            n=limit // 1_000_000), field=field, limit=limit)


@dataclass(frozen=True)
class ProcessedImage:
    full: bytes
    thumb: bytes
    width: int
    height: int


def pixel_limit(image_format: str | None) -> int:
    return MAX_PIXELS if image_format == "JPEG" else MAX_FULL_DECODE_PIXELS


def process(data: bytes, *, field: str = "image") -> ProcessedImage:
    """Raises NotAnImage, ImageTooLarge (over MAX_BYTES), TooManyPixels (known from the
    header, before anything is decoded)."""
    if len(data) > MAX_BYTES:
        raise ImageTooLarge(field=field)
    try:
        with Image.open(io.BytesIO(data)) as probe:  # reads the header, decodes nothing
            if probe.format not in ACCEPTED:
                raise NotAnImage(field=field)
            if probe.width * probe.height > pixel_limit(probe.format):
                raise TooManyPixels(pixel_limit(probe.format), field=field)
            probe.verify()  # a truncated or corrupt file stops here
        with Image.open(io.BytesIO(data)) as opened:
            image = _decode(opened)
    except Image.DecompressionBombError as exc:  # Pillow's own, larger, limit: at open
        raise TooManyPixels(field=field) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            struct.error) as exc:  # what Pillow raises for a file it cannot read
        raise NotAnImage(field=field) from exc
    return ProcessedImage(full=_encode(image, FULL), thumb=_encode(image, THUMB),
                          width=image.width, height=image.height)


def _decode(image: Image.Image) -> Image.Image:
    """The picture upright, in RGB, at most FULL pixels on its longest side, decoded with as
    little memory as the format allows: a JPEG at the smallest DCT scale still at least FULL
    wide (a 40 MP photo decodes as 2.5 MP), anything else whole, then shrunk before any copy
    in RGB is made."""
    longest = max(image.size)
    if longest > FULL:
        image.draft(None, (max(1, image.width * FULL // longest),
                           max(1, image.height * FULL // longest)))
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    image.thumbnail((FULL, FULL))
    ImageOps.exif_transpose(image, in_place=True)
    return image if image.mode == "RGB" else image.convert("RGB")


def _encode(image: Image.Image, longest: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((longest, longest))  # the full size is already at most FULL
    out = io.BytesIO()
    copy.save(out, "WEBP", quality=82, method=4)  # a fresh file: no EXIF, no GPS
    return out.getvalue()


def new_keys(product_id: int) -> tuple[str, str]:
    stem = f"products/{product_id}/{secrets.token_hex(8)}"
    return f"{stem}.webp", f"{stem}-{THUMB}.webp"


def thumb_key(key: str) -> str:
    return key.removesuffix(".webp") + f"-{THUMB}.webp"
