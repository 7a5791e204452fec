"""Where backups are kept: BACKUP_URL, a folder (`file:///path`) or an S3-compatible bucket
(`s3://bucket/prefix`, AWS_ENDPOINT_URL for a store other than AWS).

Backups travel as files, not bytes in memory: a sealed database can be large. Names are
flat (`<backup id>.kbak`, `<backup id>.json`); the manifest is written last, so a backup
without its manifest is one that never finished, and listing ignores it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

from app import s3
from app.ops.backups.errors import BackupError


class FolderTarget:
    def __init__(self, root: str):
        self.root = Path(root)

    def describe(self) -> str:
        return f"file://{self.root}"

    def _path(self, name: str) -> Path:
        if "/" in name or name.startswith("."):
            raise ValueError(f"not a backup file name: {name!r}")
        return self.root / name

    def put_file(self, name: str, source: Path) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self._path(name + ".partial")
        shutil.copyfile(source, partial)
        partial.replace(self._path(name))  # a reader never sees half a file

    def get_file(self, name: str, target: Path) -> None:
        try:
            shutil.copyfile(self._path(name), target)
        except FileNotFoundError:
            raise BackupError(f"{name} is not in {self.describe()}") from None

    def put_text(self, name: str, text: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self._path(name + ".partial")
        partial.write_text(text)
        partial.replace(self._path(name))

    def get_text(self, name: str) -> str:
        try:
            return self._path(name).read_text()
        except FileNotFoundError:
            raise BackupError(f"{name} is not in {self.describe()}") from None

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_file() and not p.name.endswith(".partial"))

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


class S3Target:
    def __init__(self, url: str, endpoint_url: str | None = None):
        parts = urlsplit(url)
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.client = s3.client(endpoint_url)  # the process's, not one per backup step

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _call(self, action, *args, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return action(*args, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in {"404", "NoSuchKey", "NotFound"}:
                raise BackupError(f"not found in {self.describe()}") from None
            raise BackupError(f"{self.describe()} refused: {code or exc}") from None
        except BotoCoreError as exc:
            raise BackupError(f"{self.describe()} could not be reached: {exc}") from None

    def put_file(self, name: str, source: Path) -> None:
        # upload_file sends large files in parts; the object appears only when complete.
        self._call(self.client.upload_file, str(source), self.bucket, self._key(name))

    def get_file(self, name: str, target: Path) -> None:
        self._call(self.client.download_file, self.bucket, self._key(name), str(target))

    def put_text(self, name: str, text: str) -> None:
        self._call(self.client.put_object, Bucket=self.bucket, Key=self._key(name),
                   Body=text.encode(), ContentType="application/json")

    def get_text(self, name: str) -> str:
        answer = self._call(self.client.get_object, Bucket=self.bucket, Key=self._key(name))
        return answer["Body"].read().decode()

    def names(self) -> list[str]:
        found = []
        # Backup names are flat: only the objects directly under the prefix. The analytics
        # export keeps thousands of files in folders below it (analytics/<table>/day=…/,
        # app/reports/export.py), which a listing of backups would otherwise page through.
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else "", Delimiter="/")
        for page in self._call(list, pages):
            found += [obj["Key"].rpartition("/")[2] for obj in page.get("Contents", [])]
        return sorted(found)

    def delete(self, name: str) -> None:
        self._call(self.client.delete_object, Bucket=self.bucket, Key=self._key(name))


def target_for(config) -> FolderTarget | S3Target:
    url = config.get("BACKUP_URL") or ""
    if url.startswith("s3://"):
        return S3Target(url, config.get("AWS_ENDPOINT_URL"))
    if url.startswith("file://"):
        return FolderTarget(url.removeprefix("file://"))
    raise BackupError(f"BACKUP_URL must start with file:// or s3:// (it is {url!r})")
