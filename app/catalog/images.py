"""Product pictures: checked by their content (not their name), re-encoded to strip
metadata, resized, and stored with a thumbnail beside them."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import Invalid

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # beyond this, decoding alone could exhaust a worker's memory
ACCEPTED = {"JPEG", "PNG", "WEBP"}
FULL = 1600
THUMB = 400


class NotAnImage(Invalid):
    code = "not_an_image"
    default_message = _l("That file is not a picture we can use. Upload a JPEG, PNG or WebP.")


class ImageTooLarge(Invalid):
    code = "image_too_large"
    default_message = _l("That picture is too large. Upload one under 10 MB.")


@dataclass(frozen=True)
class ProcessedImage:
    full: bytes
    thumb: bytes
    width: int
    height: int


def process(data: bytes) -> ProcessedImage:
    """Raises NotAnImage, ImageTooLarge."""
    if len(data) > MAX_BYTES:
        raise ImageTooLarge(field="image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED:
                raise NotAnImage(field="image")
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageTooLarge(field="image")
            probe.verify()  # a truncated or corrupt file stops here
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise NotAnImage(field="image") from exc
    full = _encode(image, FULL)
    return ProcessedImage(full=full, thumb=_encode(image, THUMB), width=min(image.width, FULL),
                          height=round(image.height * min(1, FULL / image.width)))


def _encode(image: Image.Image, longest: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((longest, longest))
    out = io.BytesIO()
    copy.save(out, "WEBP", quality=82, method=4)  # a fresh file: no EXIF, no GPS
    return out.getvalue()


def new_keys(product_id: int) -> tuple[str, str]:
    stem = f"products/{product_id}/{secrets.token_hex(8)}"
    return f"{stem}.webp", f"{stem}-{THUMB}.webp"


def thumb_key(key: str) -> str:
    return key.removesuffix(".webp") + f"-{THUMB}.webp"
