"""Where uploaded files live: a local folder by default, an S3-compatible bucket when
MEDIA_URL is `s3://bucket/prefix`. Keys are relative paths like `products/12/ab12.webp`."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, url_for


class LocalStorage:
    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
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
        import boto3

        parts = urlsplit(url)
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url)
        self.public_base = public_base

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def save(self, key: str, data: bytes, content_type: str | None = None) -> None:
        kind = content_type or mimetypes.guess_type(key)[0] or "application/octet-stream"
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                               ContentType=kind, CacheControl="public, max-age=31536000")

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


def storage():
    """The media store of the app in context."""
    config = current_app.config
    url = config.get("MEDIA_URL") or ""
    if url.startswith("s3://"):
        return S3Storage(url, config.get("AWS_ENDPOINT_URL"), config.get("MEDIA_PUBLIC_URL"))
    return LocalStorage(url.removeprefix("file://") or str(Path(config["INSTANCE_PATH"]) / "media"))
