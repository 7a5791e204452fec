"""Throwaway PostgreSQL clusters archiving to a pgBackRest repository, for the pgBackRest
tests and the recovery drill.

    with s3_repository(root) as s3, archived_cluster(root, s3=s3) as cluster:
        cluster.config()      # PGBACKREST_STANZA / PGBACKREST_CONFIG for the app or adapter
        cluster.url           # postgresql+psycopg://… of its "kade" database
        cluster.destroy()     # stop -m immediate and rm -rf the data directory

Each cluster runs as the postgres user from a temp dir of its own (never the shared server
on 5432), on a free port, with its settings in postgresql.conf so a restored data directory
comes back on the same port. It is set up by the real scripts/pgbackrest-setup.sh, so the
script is tested by every user of this helper. The repository is a folder, or an S3 bucket
on moto's server behind stunnel: pgBackRest speaks to S3 only over TLS, so stunnel (with a
self-signed certificate made here) takes TLS on one port and forwards plain HTTP to moto.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.config import PROJECT_ROOT


def _pg_bin() -> Path:
    """The newest installed server's binaries, e.g. /usr/lib/postgresql/15/bin."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else Path("/usr/bin")


PG_BIN = _pg_bin()
SETUP_SCRIPT = PROJECT_ROOT / "scripts" / "pgbackrest-setup.sh"
STANZA = "kade"
CIPHER_PASS = "test-cipher-pass-not-secret"  # noqa: S105 — a throwaway repository's key
S3_BUCKET = "kade-pgbackrest"
S3_KEY, S3_KEY_SECRET = "testing", "testing"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def as_postgres(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command as the postgres user (initdb and postgres refuse root)."""
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run(argv, cwd="/", **kwargs)  # noqa: S603


def make_root(prefix: str = "kade-pgbr-") -> Path:
    """A temp dir the postgres user owns and may enter (pytest's tmp_path is 0700 root)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return root


@dataclass
class S3Repo:
    endpoint_port: int  # stunnel's TLS port, in front of moto
    moto_url: str  # moto's plain HTTP address, for boto3 in the tests
    bucket: str = S3_BUCKET


@contextlib.contextmanager
def s3_repository(root: Path) -> Iterator[S3Repo]:
    """moto's S3 server on 127.0.0.1 with a bucket, behind stunnel's TLS."""
    import boto3
    from moto.server import ThreadedMotoServer

    moto_port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    server.start()
    stunnel = None
    try:
        moto_url = f"http://127.0.0.1:{moto_port}"
        boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1",
                     aws_access_key_id=S3_KEY, aws_secret_access_key=S3_KEY_SECRET,
                     ).create_bucket(Bucket=S3_BUCKET)
        tls = root / "stunnel"
        tls.mkdir()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",  # noqa: S607
                        "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem"),
                        "-days", "1", "-subj", "/CN=127.0.0.1"],
                       check=True, capture_output=True)
        tls_port = free_port()
        (tls / "stunnel.conf").write_text(
            "foreground = yes\n"
            "pid =\n"
            f"output = {tls / 'stunnel.log'}\n"
            "[s3]\n"
            f"accept = 127.0.0.1:{tls_port}\n"
            f"connect = 127.0.0.1:{moto_port}\n"
            f"cert = {tls / 'cert.pem'}\n"
            f"key = {tls / 'key.pem'}\n")
        stunnel = subprocess.Popen(["stunnel4", str(tls / "stunnel.conf")],  # noqa: S607
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(tls_port)
        yield S3Repo(endpoint_port=tls_port, moto_url=moto_url)
    finally:
        if stunnel is not None:
            stunnel.terminate()
            stunnel.wait(timeout=10)
        server.stop()


@dataclass
class Cluster:
    root: Path
    port: int
    stanza: str = STANZA

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def config_path(self) -> Path:
        return self.root / "pgbackrest.conf"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/kade"

    def config(self) -> dict:
        return {"PGBACKREST_STANZA": self.stanza, "PGBACKREST_CONFIG": str(self.config_path),
                "PG_START_COMMAND": None}

    def psql(self, *sql: str, database: str = "kade") -> str:
        """Run statements (each -c its own transaction); the output, one line per row."""
        commands = [arg for statement in sql for arg in ("-c", statement)]
        done = as_postgres(["psql", "-h", str(self.root), "-p", str(self.port), "-d", database,
                            "-XAtq", "-v", "ON_ERROR_STOP=1", *commands])
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def start(self) -> None:
        done = as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                            str(self.root / "server.log"), "-w", "-t", "60", "start"])
        if done.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {self.log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                         "stop"])

    def destroy(self) -> None:
        """The disaster: stop at once (no shutdown checkpoint, no last WAL pushed) and delete
        the data directory."""
        self.stop("immediate")
        shutil.rmtree(self.data)

    def is_running(self) -> bool:
        return as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status"]
                           ).returncode == 0

    def log_tail(self, lines: int = 20) -> str:
        logs = sorted(self.root.glob("*.log"), key=lambda p: p.stat().st_mtime)
        text = logs[-1].read_text(errors="replace") if logs else ""
        return "\n".join(text.splitlines()[-lines:])

    def setup(self, *extra: str, archive_timeout: str = "2s", s3: S3Repo | None = None,
              ) -> subprocess.CompletedProcess:
        """Run scripts/pgbackrest-setup.sh for this cluster (again: it is idempotent)."""
        argv = ["bash", str(SETUP_SCRIPT), "--stanza", self.stanza, "--pgdata", str(self.data),
                "--config", str(self.config_path), "--port", str(self.port),
                "--socket", str(self.root), "--log-path", str(self.root / "pgbackrest-log"),
                "--lock-path", str(self.root / "pgbackrest-lock"),
                "--archive-timeout", archive_timeout, "--cipher-pass", CIPHER_PASS]
        if s3 is None:
            argv += ["--repo-path", str(self.root / "repo")]
        else:
            argv += ["--s3-endpoint", "127.0.0.1", "--s3-port", str(s3.endpoint_port),
                     "--s3-bucket", s3.bucket, "--s3-region", "us-east-1",
                     "--s3-key", S3_KEY, "--s3-key-secret", S3_KEY_SECRET,
                     "--s3-uri-style", "path", "--s3-verify-tls", "n",
                     "--repo-path", f"/{self.root.name}"]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "PGBACKREST_", "PG"))}
        return subprocess.run(argv, capture_output=True, text=True, env=env,  # noqa: S603
                              timeout=300)

    # --- the WAL archive -------------------------------------------------------------------

    def archiver(self) -> tuple[str, str]:
        """(last_archived_wal, failed_count) from pg_stat_archiver."""
        wal, failed = self.psql("SELECT coalesce(last_archived_wal, ''), failed_count"
                                " FROM pg_stat_archiver").split("|")
        return wal, failed

    def switch_wal_and_wait(self, timeout: float = 30) -> str:
        """Close the current WAL segment and wait until it is in the repository; its name."""
        segment = self.psql("SELECT pg_walfile_name(pg_switch_wal())")
        deadline = time.monotonic() + timeout
        while self.archiver()[0] < segment:
            if time.monotonic() > deadline:
                raise TimeoutError(f"WAL segment {segment} not archived: {self.archiver()}")
            time.sleep(0.1)
        return segment


def segment_end_lsn(walfile: str, segment_size: int = 16 * 1024 * 1024) -> int:
    """The LSN just past the end of a WAL segment named like 000000010000000000000004."""
    log_id, seg = int(walfile[8:16], 16), int(walfile[16:24], 16)
    per_log = 0x1_0000_0000 // segment_size
    return (log_id * per_log + seg + 1) * segment_size


def lsn(text: str) -> int:
    """'0/5000028' -> an integer LSN."""
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def start_new_cluster(cluster: Cluster) -> None:
    """initdb in `cluster.data` (trust auth, for 127.0.0.1 and replication too), its port
    and socket in its conf, start it, and create the "kade" database."""
    done = as_postgres([str(PG_BIN / "initdb"), "-D", str(cluster.data), "-U", "postgres",
                        "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"])
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr}")
    with (cluster.data / "postgresql.conf").open("a") as conf:
        # In the conf (not on pg_ctl's command line) so a restored copy has them too.
        # fsync off: the drills destroy the whole directory, never the OS under it.
        conf.write(f"\nport = {cluster.port}\nlisten_addresses = '127.0.0.1'\n"
                   f"unix_socket_directories = '{cluster.root}'\n"
                   "fsync = off\nmax_wal_size = '64MB'\nmin_wal_size = '32MB'\n")
    cluster.start()
    cluster.psql("CREATE DATABASE kade", database="postgres")


@contextlib.contextmanager
def archived_cluster(*, s3: S3Repo | None = None, archive_timeout: str = "2s",
                     ) -> Iterator[Cluster]:
    """A new cluster with a "kade" database, archiving to a pgBackRest repository (a folder,
    or `s3`) with a first full backup taken. Stopped and deleted afterwards."""
    cluster = Cluster(root=make_root(), port=free_port())
    try:
        start_new_cluster(cluster)
        done = cluster.setup(archive_timeout=archive_timeout, s3=s3)
        if done.returncode != 0:
            raise RuntimeError(f"pgbackrest-setup.sh failed ({done.returncode}):\n"
                               f"{done.stderr}\n{cluster.log_tail()}")
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(cluster.root, ignore_errors=True)
