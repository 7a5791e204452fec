"""A throwaway `redis-server` of the suite's own, on a free port, with no persistence: tests
that need Redis use one of these, never a database number on a server something else may use
(another program's keys in "our" database made tests fail, and a flush would wipe its data)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import zlib
from pathlib import Path

import pytest
from redis import Redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """`redis-server` on a free port, no persistence: stop() and start() again give an empty
    Redis on the same address, as after a crash."""

    def __init__(self, folder: Path):
        binary = shutil.which("redis-server")
        if not binary:  # the suites' services script installs it; never skip silently
            pytest.fail("redis-server is not installed (scripts/services.sh installs it)")
        self.binary, self.folder = binary, folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = self.client()
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except Exception:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start on port {self.port}")
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5)

    def dump(self) -> bytes:
        """Everything Redis holds, job payloads unpacked (RQ keeps them zlib-compressed)."""
        client = self.client()
        parts: list[bytes] = []
        for key in client.scan_iter(count=1000):
            parts.append(key)
            kind = client.type(key)
            if kind == b"string":
                parts.append(client.get(key) or b"")
            elif kind == b"hash":
                for field, value in client.hgetall(key).items():
                    parts += [field, value]
                    if field == b"data":
                        try:
                            parts.append(zlib.decompress(value))
                        except zlib.error:
                            pass
            elif kind == b"list":
                parts += client.lrange(key, 0, -1)
            elif kind == b"set":
                parts += list(client.smembers(key))
            elif kind == b"zset":
                parts += client.zrange(key, 0, -1)
            elif kind == b"stream":
                for _id, fields in client.xrange(key):
                    for field, value in fields.items():
                        parts += [field, value]
                        try:
                            parts.append(zlib.decompress(value))
                        except zlib.error:
                            pass
        return b"\n".join(parts)
