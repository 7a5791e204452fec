"""Where uploaded files live: a local folder by default, an S3-compatible bucket when
MEDIA_URL is `s3://bucket/prefix`. Keys are relative paths like `products/12/ab12.webp`.

Keys are made by Kade, never typed by anyone, so both stores accept only the plain spelling
(`check_key`): no dot segments, no doubled or leading slashes, no backslashes, nothing but
ASCII letters, digits, `-`, `_` and single dots inside a name. Only keys under PUBLIC_AREAS
are served to anyone at `/media/` (`public_key`); everything else (transfer slips, catalog
imports) is private and reached only through views that check who asks.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, g, url_for

from app import s3

# An allow-list, not a deny-list of private folders: a new kind of file is private until
# someone decides otherwise here.
PUBLIC_AREAS = frozenset({"products"})
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_MAX_KEY = 300
_DECODE_ROUNDS = 4  # %252e is %2e once decoded; nobody legitimately encodes four times


def check_key(key: str) -> str:
    """The key itself when it is spelled the one way Kade spells keys. Raises ValueError."""
    if not key or len(key) > _MAX_KEY or not all(
            _SEGMENT.fullmatch(part) for part in key.split("/")):
        raise ValueError("not a storage key")
    return key


def normalise_key(requested: str) -> str | None:
    """What a requested path means once every trick is undone: percent-encoding (repeated),
    Unicode look-alikes (NFKC folds full-width dots and slashes), backslashes, doubled
    slashes, dot segments, leading slashes. None when no key could be meant: control, format
    (bidi) or space characters, NUL, or too many layers of encoding."""
    text = requested
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    else:
        return None
    text = unicodedata.normalize("NFKC", text).replace("\\", "/")
    if any(unicodedata.category(ch)[0] in "CZ" for ch in text):
        return None
    return posixpath.normpath("/" + text).lstrip("/") or None


def public_key(requested: str) -> str | None:
    """The key to serve at `/media/<requested>`, or None (the 404). The path is normalised
    first, so whatever spelling is used, the decision is taken on the key a store would
    read, and the store is handed only that key in its plain spelling."""
    key = normalise_key(requested)
    if key is None or not is_public(key):
        return None
    try:
        return check_key(key)
    except ValueError:
        return None


def is_public(key: str) -> bool:
    return key.split("/", 1)[0] in PUBLIC_AREAS


class LocalStorage:
    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("storage key escapes the media folder")
        return path

    def save(self, key: str, data: bytes, content_type: str | None = None) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def url(self, key: str) -> str:
        return url_for("pages.media", key=key)


class S3Storage:
    """Any S3-compatible store (AWS, MinIO, moto in tests) through boto3; AWS_ENDPOINT_URL
    points elsewhere than AWS."""

    def __init__(self, url: str, endpoint_url: str | None = None, public_base: str | None = None):
        parts = urlsplit(url)
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.client = s3.client(endpoint_url)  # the process's, not one per store made
        self.public_base = public_base

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def save(self, key: str, data: bytes, content_type: str | None = None) -> None:
        kind = content_type or mimetypes.guess_type(key)[0] or "application/octet-stream"
        # A CDN in front of the bucket must never keep a private file.
        cache = "public, max-age=31536000" if is_public(key) else "private, no-store"
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                               ContentType=kind, CacheControl=cache)

    def read(self, key: str) -> bytes:
        """Raises FileNotFoundError for a missing object, as LocalStorage does."""
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as exc:
            raise FileNotFoundError(key) from exc

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError:
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def url(self, key: str) -> str:
        if self.public_base:
            return f"{self.public_base.rstrip('/')}/{self._key(key)}"
        return url_for("pages.media", key=key)  # served through the app


_SAMPLE_KEY = "products/0/0.webp"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_./-]*")


def public_url(key: str) -> str:
    """The address of a public file for a page: what `storage().url(key)` gives, without
    making a store and building a route for each of a page's pictures. The store's address
    for a sample key, worked out once per request, shows where keys go; a key spelled as
    the catalog makes them (`products/12/ab12.webp`) is then put in that place directly."""
    prefix = g.get("media_url_prefix")
    if prefix is None:
        sample = storage().url(_SAMPLE_KEY)
        prefix = sample.removesuffix(_SAMPLE_KEY) if sample.endswith(_SAMPLE_KEY) else ""
        g.media_url_prefix = prefix
    if prefix and _PLAIN_KEY.fullmatch(key) and ".." not in key:
        return prefix + key
    return storage().url(key)


def storage():
    """The media store of the app in context."""
    config = current_app.config
    url = config.get("MEDIA_URL") or ""
    if url.startswith("s3://"):
        return S3Storage(url, config.get("AWS_ENDPOINT_URL"), config.get("MEDIA_PUBLIC_URL"))
    return LocalStorage(url.removeprefix("file://") or str(Path(config["INSTANCE_PATH"]) / "media"))
