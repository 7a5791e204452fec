"""A throwaway primary with a hot standby streaming from it, for the replication tests and
the failover drill.

    with replicated_pair(synchronous=True) as pair:
        pair.primary.url, pair.standby.url   # postgresql+psycopg://… of each "kade" database
        pair.url                             # both hosts, target_session_attrs=read-write

Each server runs as the postgres user from a temp dir of its own on a free port (never the
shared server on 5432). The primary is migrated to the newest schema; the standby is made
by the real scripts/standby.sh (replication role, slot, pg_basebackup -R, start, wait for
streaming, and with `synchronous` the primary's commits wait for it), so the script is
tested by every user of this helper, as pgbackrest-setup.sh is by pgcluster.py's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from app.config import PROJECT_ROOT
from tests.ops.backups.pgcluster import (
    PG_BIN,
    Cluster,
    free_port,
    make_root,
    start_new_cluster,
)

STANDBY_SCRIPT = PROJECT_ROOT / "scripts" / "standby.sh"
SLOT = "kade_standby"


@dataclass
class Pair:
    primary: Cluster
    standby: Cluster

    @property
    def url(self) -> str:
        """What the app's DATABASE_URL is with a hot standby: both hosts, new connections
        to whichever takes writes."""
        return ("postgresql+psycopg://postgres@/kade"
                f"?host=127.0.0.1:{self.primary.port}&host=127.0.0.1:{self.standby.port}"
                "&target_session_attrs=read-write")

    def make_standby(self, *extra: str) -> subprocess.CompletedProcess:
        """Run scripts/standby.sh for this pair (again: it keeps what is there)."""
        argv = ["bash", str(STANDBY_SCRIPT), "--primary-host", "127.0.0.1",
                "--primary-port", str(self.primary.port), "--slot", SLOT,
                "--pgdata", str(self.standby.data), "--port", str(self.standby.port),
                "--socket", str(self.standby.root), "--pg-bin", str(PG_BIN),
                "--log-file", str(self.standby.root / "server.log"), *extra]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        return subprocess.run(argv, capture_output=True, text=True, env=env,  # noqa: S603
                              timeout=180)


@contextlib.contextmanager
def replicated_pair(*, synchronous: bool = False) -> Iterator[Pair]:
    """A migrated primary and a hot standby streaming from it (synchronously or not).
    Both stopped and deleted afterwards."""
    from app import migrate

    pair = Pair(primary=Cluster(root=make_root("kade-primary-"), port=free_port()),
                standby=Cluster(root=make_root("kade-standby-"), port=free_port()))
    try:
        start_new_cluster(pair.primary)
        migrate.upgrade(pair.primary.url)
        done = pair.make_standby(*(["--synchronous"] if synchronous else []))
        if done.returncode != 0:
            raise RuntimeError(f"standby.sh failed ({done.returncode}):\n{done.stderr}\n"
                               f"{pair.standby.log_tail()}")
        yield pair
    finally:
        from app.db import dispose_engines

        dispose_engines()
        for cluster in (pair.standby, pair.primary):
            cluster.stop("immediate")
            shutil.rmtree(cluster.root, ignore_errors=True)
