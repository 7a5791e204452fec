"""moto's S3 server on 127.0.0.1, spoken to over HTTP by the real boto3 client: the store
behind MEDIA_URL and BACKUP_URL in tests."""

from __future__ import annotations

import contextlib
import os
import socket

AWS_TEST_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",  # noqa: S105
                "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def moto_s3(*buckets: str):
    """Start the server, create `buckets`, yield its endpoint URL; AWS_* variables are set
    to test credentials meanwhile and put back afterwards."""
    from moto.server import ThreadedMotoServer

    saved = {k: os.environ.get(k) for k in (*AWS_TEST_ENV, "AWS_SESSION_TOKEN")}
    os.environ.update(AWS_TEST_ENV)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint)
        for bucket in buckets:
            client.create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
