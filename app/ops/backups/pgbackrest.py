"""PostgreSQL's continuous WAL archiving and point-in-time recovery, through pgBackRest.

scripts/pgbackrest-setup.sh sets a cluster up (archive_command, stanza, first full backup);
this module runs the backups the scheduler asks for, reads the archiver's health for the back
office and /readyz, and restores: to the end of the archived WAL, or to a point in time.

pgBackRest runs as the owner of the data directory (pg1-path in the conf): PostgreSQL refuses
root, and repository files written as root would be unwritable for `archive-push`, which
PostgreSQL runs as its owner. From root we switch with `runuser`; as any other user we run it
as we are (the cluster's owner, or a user the repository and data directory let in).

Every restore and promotion starts a new timeline; restores follow the latest one
(`--target-timeline=latest`), so a second point-in-time recovery after a first still finds
the WAL written since. Messages carry pgBackRest's and PostgreSQL's own stderr: paths, labels
and WAL names, never row data.
"""

from __future__ import annotations

import configparser
import datetime as dt
import json
import logging
import os
import pwd
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import text

from app.db import utcnow
from app.ops.backups.errors import BackupError, RestoreRefused

log = logging.getLogger(__name__)

KINDS = ("full", "diff", "incr")
DEFAULT_CONFIG = "/etc/pgbackrest/pgbackrest.conf"  # pgBackRest's own default
DEFAULT_SOCKET = "/var/run/postgresql"
# Archiving counts as stale past this age when no app context says otherwise
# (BACKUP_MAX_AGE_MINUTES): the RPO target of issue 8.
DEFAULT_MAX_AGE_SECONDS = 15 * 60
BACKUP_TIMEOUT_SECONDS = 6 * 60 * 60
# Waiting for a restored cluster to replay its WAL and promote: the RTO target.
RESTORE_TIMEOUT_SECONDS = 2 * 60 * 60
_POLL_SECONDS = 0.2
# What an idle server writes into a fresh WAL segment without any commit: the page header
# and a running-transactions record or two. More than this is taken as unarchived work.
IDLE_WAL_BYTES = 1024


def enabled(config) -> bool:
    return bool(config.get("PGBACKREST_STANZA"))


# --- the stanza's configuration ------------------------------------------------------------------


@dataclass(frozen=True)
class Stanza:
    """What the adapter needs from pgbackrest.conf: the stanza and its local cluster."""

    name: str
    config_path: Path
    pg_path: Path
    pg_port: int
    socket_path: str
    pg_user: str

    @property
    def owner(self) -> str:
        """The OS user that owns the data directory (or, once it is gone, its parent)."""
        for path in (self.pg_path, self.pg_path.parent):
            try:
                uid = path.stat().st_uid
            except FileNotFoundError:
                continue
            if uid != 0:
                return pwd.getpwuid(uid).pw_name
        return "postgres"


def stanza(config) -> Stanza:
    """The stanza named by PGBACKREST_STANZA, read from PGBACKREST_CONFIG. Raises BackupError
    with what to fix when either is missing or the conf does not describe the stanza."""
    name = config.get("PGBACKREST_STANZA")
    if not name:
        raise BackupError("PGBACKREST_STANZA is not set: pgBackRest archiving is not configured")
    path = Path(config.get("PGBACKREST_CONFIG") or DEFAULT_CONFIG)
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        with path.open(encoding="utf-8") as f:
            parser.read_file(f)
    except FileNotFoundError:
        raise BackupError(f"pgBackRest configuration {path} does not exist "
                          "(PGBACKREST_CONFIG; scripts/pgbackrest-setup.sh writes it)") from None
    except (OSError, UnicodeDecodeError, configparser.Error) as e:
        raise BackupError(f"pgBackRest configuration {path} cannot be read: {e}") from None
    if not parser.has_section(name):
        raise BackupError(f"stanza {name!r} is not in {path} (PGBACKREST_STANZA; "
                          "scripts/pgbackrest-setup.sh adds it)")

    def option(key: str, default: str | None = None) -> str | None:
        # The stanza's own value wins over [global], as in pgBackRest.
        for section in (name, "global"):
            if parser.has_option(section, key):
                return parser.get(section, key).strip()
        return default

    pg_path = option("pg1-path")
    if not pg_path:
        raise BackupError(f"stanza {name!r} in {path} has no pg1-path")
    port = option("pg1-port", "5432")
    if not port.isdigit():
        raise BackupError(f"stanza {name!r} in {path}: pg1-port {port!r} is not a number")
    return Stanza(name=name, config_path=path, pg_path=Path(pg_path), pg_port=int(port),
                  socket_path=option("pg1-socket-path", DEFAULT_SOCKET),
                  pg_user=option("pg1-user", "postgres"))


def _as_owner(st: Stanza, argv: list[str]) -> list[str]:
    if os.geteuid() == 0 and st.owner != "root":
        return ["runuser", "-u", st.owner, "--", *argv]
    return argv


def _tail(output: str, lines: int = 8) -> str:
    kept = [_printable(line) for line in output.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _printable(message: str, limit: int = 300) -> str:
    """pgBackRest quotes what it could not parse, and a repository read under the wrong
    cipher pass parses as binary noise: keep messages readable and short."""
    clean = "".join(c if c.isprintable() else "?" for c in message).strip()
    if "outside of section" in clean:
        clean += " (an info file that reads as noise: is repo1-cipher-pass right?)"
    return clean if len(clean) <= limit else clean[:limit] + "…"


def _pgbackrest(st: Stanza, *args: str, timeout: float = BACKUP_TIMEOUT_SECONDS) -> str:
    """Run one pgBackRest command (the last of `args`, after its options) for the stanza;
    its stdout, or BackupError with its stderr."""
    command = args[-1]
    argv = _as_owner(st, ["pgbackrest", f"--config={st.config_path}", f"--stanza={st.name}",
                          *args])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,  # noqa: S603
                              errors="replace", cwd="/")
    except FileNotFoundError:
        raise BackupError("pgbackrest is not installed (apt-get install pgbackrest)") from None
    except subprocess.TimeoutExpired:
        raise BackupError(f"pgbackrest {command} did not finish in {timeout:.0f} s") from None
    if done.returncode != 0:
        why = _tail(done.stderr) or _tail(done.stdout) or "no message"
        raise BackupError(f"pgbackrest {command} failed for stanza {st.name!r} "
                          f"(exit {done.returncode}): {why}")
    return done.stdout


# --- backups -------------------------------------------------------------------------------------


def _describe(entry: dict) -> dict:
    stamp = entry["timestamp"]
    return {
        "label": entry["label"],
        "kind": entry["type"],
        "started_at": dt.datetime.fromtimestamp(stamp["start"], dt.UTC),
        "finished_at": dt.datetime.fromtimestamp(stamp["stop"], dt.UTC),
        # What this backup added to the repository (compressed; a diff or incr holds only
        # the files changed since its reference).
        "size": int(entry["info"]["repository"]["delta"]),
    }


def _backups(st: Stanza) -> list[dict]:
    """The stanza's backups from `pgbackrest info`, oldest first."""
    out = _pgbackrest(st, "--output=json", "info", timeout=300)
    try:
        # strict=False: messages may quote control characters from a garbled info file.
        (info,) = [s for s in json.loads(out, strict=False) if s.get("name") == st.name]
    except (ValueError, TypeError, AttributeError):
        raise BackupError(f"pgbackrest info gave no answer for stanza {st.name!r}: "
                          f"{_printable(out)}") from None
    status = info.get("status", {})
    code = status.get("code", 99)
    # 0 ok, 2 no valid backups yet; anything else (missing stanza path or data, wrong cipher
    # pass, repository errors) leaves no usable repository.
    if code not in (0, 2):
        # The overall message may only say "other"; each repository says what is wrong.
        why = "; ".join(r["status"]["message"] for r in info.get("repo", [])
                        if r.get("status", {}).get("code")) or status.get("message", "unknown")
        raise BackupError(f"pgBackRest repository for stanza {st.name!r} is not usable: "
                          f"{_printable(' '.join(why.split()))} (info status {code})")
    return sorted((b for b in info.get("backup", []) if not b.get("error")),
                  key=lambda b: (b["timestamp"]["stop"], b["label"]))


def backup(config, kind: str) -> dict:
    """Take a full, differential or incremental backup of the stanza's cluster; describe it.
    pgBackRest makes a diff or incr a full one when the repository holds no full backup yet:
    "kind" says what was taken."""
    if kind not in KINDS:
        raise BackupError(f"unknown pgBackRest backup kind {kind!r}: full, diff or incr")
    st = stanza(config)
    _pgbackrest(st, "--log-level-console=off", f"--type={kind}", "backup")
    done = _backups(st)
    if not done:
        raise BackupError(f"pgbackrest backup reported success but stanza {st.name!r} "
                          "lists no backup")
    return _describe(done[-1])


def last_backup(config) -> dict | None:
    """The newest good backup of the stanza, or None when there is none yet."""
    done = _backups(stanza(config))
    return _describe(done[-1]) if done else None


# --- the archiver's health -----------------------------------------------------------------------


def _max_age_seconds() -> float:
    if has_app_context():
        return float(current_app.config.get("BACKUP_MAX_AGE_MINUTES", 15)) * 60
    return DEFAULT_MAX_AGE_SECONDS


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.astimezone(dt.UTC)


def _segment_number(walfile: str | None, segment_size: int) -> int | None:
    """The position in the WAL stream (any timeline) of the last segment whose WAL is whole
    in the archive, from a name pg_stat_archiver gives: a segment 000000010000000200000003,
    a backup history file (named after its segment: archived after it), or a .partial one
    (the segment a promotion cut short: its end is not archived). None for a timeline
    history file."""
    name = (walfile or "")[:24]
    if len(name) != 24 or not all(c in "0123456789ABCDEF" for c in name):
        return None
    number = int(name[8:16], 16) * (0x1_0000_0000 // segment_size) + int(name[16:], 16)
    return number - 1 if walfile.endswith(".partial") else number


def archive_status(session) -> dict:
    """How far behind the WAL archive is, from pg_stat_archiver on the live database.

    age_seconds is the age of the recovery point: 0 while no WAL was written since the last
    archived segment (an idle shop writes none, so it does not go stale), else the time since
    that segment was archived. None when nothing was ever archived."""
    row = session.execute(text(
        "SELECT a.last_archived_wal, a.last_archived_time, a.last_failed_time, a.failed_count,"
        " pg_walfile_name(pg_current_wal_lsn()) AS current_wal,"
        " pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS current_lsn,"
        " current_setting('wal_segment_size', true) AS segment_size"
        " FROM pg_stat_archiver a")).one()
    last_archived_at = _utc(row.last_archived_time)
    last_failed_at = _utc(row.last_failed_time)
    segment_size = _bytes(row.segment_size)
    archived = _segment_number(row.last_archived_wal, segment_size)
    current = _segment_number(row.current_wal, segment_size)
    written = row.current_lsn % segment_size  # into the segment being filled
    if last_archived_at is None:
        age = None
    elif archived is not None and current is not None and (
            current <= archived or (current == archived + 1 and written <= IDLE_WAL_BYTES)):
        # Nothing unarchived: the write position is still at the end of the archived
        # segment, or past it by only the few bytes an idle server logs (page header,
        # running-transactions snapshot), which PostgreSQL's archive_timeout ignores too.
        age = 0.0
    else:
        age = max(0.0, (utcnow() - last_archived_at).total_seconds())
    failing = last_failed_at is not None and (
        last_archived_at is None or last_failed_at > last_archived_at)
    return {
        "last_archived_at": last_archived_at,
        "last_failed_at": last_failed_at,
        "failed_count": int(row.failed_count or 0),
        "age_seconds": age,
        "stale": age is None or failing or age > _max_age_seconds(),
    }


def _bytes(setting: str | None) -> int:
    """wal_segment_size as SHOW gives it: '16MB'."""
    units = {"kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
    for unit, factor in units.items():
        if setting and setting.endswith(unit):
            return int(setting[: -len(unit)]) * factor
    return int(setting) if setting and setting.isdigit() else 16 * 1024 ** 2


# --- restore -------------------------------------------------------------------------------------


def _postmaster(pg_path: Path) -> tuple[str, int | None]:
    """("stopped" | "running" | "stale", pid) from pg_path's postmaster.pid. Stale: the file
    outlived its server (a crash, a power cut), or its pid now belongs to another program."""
    try:
        first = (pg_path / "postmaster.pid").read_text().split("\n", 1)[0].strip()
    except FileNotFoundError:
        return "stopped", None
    except OSError:
        return "running", None  # unreadable: assume it runs rather than restore under it
    if not first.isdigit():
        return "running", None
    pid = int(first)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "stale", pid
    except PermissionError:
        pass  # alive, another user's
    try:
        program = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "running", pid  # no /proc to ask: take the pid's word
    return ("running" if program.startswith(("postgres", "postmaster")) else "stale"), pid


def _psql(st: Stanza, sql: str, timeout: float = 10) -> str | None:
    """One query on the stanza's cluster through its socket, as the owner (peer or trust
    auth); its single-line answer, or None while the server does not answer."""
    argv = _as_owner(st, ["psql", "-h", st.socket_path, "-p", str(st.pg_port), "-U",
                          st.pg_user, "-d", "postgres", "-XAtq", "-v", "ON_ERROR_STOP=1",
                          "-c", sql])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,  # noqa: S603
                              errors="replace", cwd="/")
    except subprocess.TimeoutExpired:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _pg_ctl(pg_path: Path) -> str:
    try:
        version = (pg_path / "PG_VERSION").read_text().strip()
    except OSError:
        return "pg_ctl"
    candidate = Path(f"/usr/lib/postgresql/{version}/bin/pg_ctl")
    return str(candidate) if candidate.exists() else "pg_ctl"


def _server_log(st: Stanza) -> Path:
    """Where pg_ctl sends the restored server's output: beside the data directory when its
    owner may write there (as on Debian), else inside it."""
    parent = st.pg_path.parent
    try:
        if pwd.getpwuid(parent.stat().st_uid).pw_name == st.owner:
            return parent / f"{st.pg_path.name}-restore.log"
    except (OSError, KeyError):
        pass
    return st.pg_path / "log" / "restore.log"


def _start(st: Stanza, config, deadline: float) -> Path | None:
    """Start the restored cluster; the log file to read on failure (None: the operator's
    PG_START_COMMAND logs where it logs)."""
    command = config.get("PG_START_COMMAND")
    if command:
        done = subprocess.run(command, shell=True, capture_output=True, text=True,  # noqa: S602
                              timeout=max(1.0, deadline - time.monotonic()), cwd="/")
        if done.returncode != 0:
            raise BackupError(f"the restore is in place but PG_START_COMMAND failed "
                              f"(exit {done.returncode}): {_tail(done.stderr or done.stdout)}")
        return None
    if not (st.pg_path / "postgresql.conf").exists():
        raise BackupError(
            f"the restore is in place, but {st.pg_path} has no postgresql.conf (Debian keeps "
            "it in /etc/postgresql): set PG_START_COMMAND (e.g. 'systemctl start "
            "postgresql@15-main') or start PostgreSQL by hand")
    logfile = _server_log(st)
    if logfile.parent == st.pg_path / "log":
        subprocess.run(_as_owner(st, ["mkdir", "-p", str(logfile.parent)]), check=False)  # noqa: S603
    # -w waits until the server accepts connections (after a restore: once consistent, or
    # once promoted); a server that exits instead (a target the archive never reached) makes
    # pg_ctl fail at once.
    wait = max(1, int(deadline - time.monotonic()))
    argv = _as_owner(st, [_pg_ctl(st.pg_path), "-D", str(st.pg_path), "-l", str(logfile),
                          "-w", "-t", str(wait), "start"])
    done = subprocess.run(argv, capture_output=True, text=True, cwd="/")  # noqa: S603
    if done.returncode != 0:
        why = _tail(_read(logfile)) or _tail(done.stdout + done.stderr)
        raise BackupError(f"the restore is in place but the cluster did not start: {why}")
    return logfile


def _read(path: Path | None) -> str:
    try:
        return path.read_text(errors="replace") if path else ""
    except OSError:
        return ""


def _wait_promoted(st: Stanza, logfile: Path | None, deadline: float) -> None:
    """Wait until the server answers and has left recovery (replayed and promoted)."""
    while True:
        answer = _psql(st, "SELECT pg_is_in_recovery()")
        if answer == "f":
            return
        if answer is None and _postmaster(st.pg_path)[0] != "running":
            # Gone: PostgreSQL stops when the archive ends before the target is reached.
            seen = _tail(_read(logfile)) if logfile else "see PostgreSQL's log"
            raise BackupError(f"the restored cluster stopped during recovery: {seen}")
        if time.monotonic() > deadline:
            raise BackupError(f"the restored cluster is still recovering after "
                              f"{RESTORE_TIMEOUT_SECONDS} s; it goes on in the background")
        time.sleep(_POLL_SECONDS)


def restore(config, *, to_time: dt.datetime | None = None,
            timeline: int | None = None) -> dict:
    """Restore the stanza's cluster from the repository and start it.

    to_time None: replay all the archived WAL (the latest point possible); else stop at the
    last commit at or before to_time (an aware datetime) and promote. Follows the latest
    timeline unless `timeline` names one. Refuses (RestoreRefused, nothing touched) while a
    server runs on pg1-path: the operator stops it first."""
    if to_time is not None and to_time.tzinfo is None:
        raise RestoreRefused("the recovery time must carry a time zone (UTC)")
    st = stanza(config)
    state, pid = _postmaster(st.pg_path)
    if state == "running":
        raise RestoreRefused(
            f"PostgreSQL is running on {st.pg_path} (pid {pid}): stop it first "
            f"(systemctl stop postgresql, or pg_ctl -D {st.pg_path} -m fast stop); "
            "nothing was changed")
    if state == "stale":
        raise RestoreRefused(
            f"{st.pg_path / 'postmaster.pid'} is left from a PostgreSQL that no longer runs "
            f"(pid {pid}, after a crash?): make sure no PostgreSQL uses {st.pg_path}, delete "
            "that file and restore again; nothing was changed")
    available = _backups(st)
    if not available:
        raise RestoreRefused(f"stanza {st.name!r} has no backup to restore; nothing was changed")
    chosen = None
    if to_time is not None:
        to_time = to_time.astimezone(dt.UTC)
        if to_time > utcnow():
            raise RestoreRefused(f"{to_time:%Y-%m-%d %H:%M:%S} UTC is in the future: "
                                 "restore --latest instead; nothing was changed")
        # The newest backup surely consistent before the target: its stop time is whole
        # seconds, taken after PostgreSQL's own end of backup, hence the second of margin.
        before = [b for b in available if b["timestamp"]["stop"] + 1 <= to_time.timestamp()]
        if not before:
            oldest_end = dt.datetime.fromtimestamp(available[0]["timestamp"]["stop"], dt.UTC)
            raise RestoreRefused(
                f"no backup ends before {to_time:%Y-%m-%d %H:%M:%S} UTC (the oldest ends "
                f"{oldest_end:%Y-%m-%d %H:%M:%S} UTC); nothing was changed")
        chosen = before[-1]["label"]

    started = time.monotonic()
    deadline = started + RESTORE_TIMEOUT_SECONDS
    args = ["--log-level-console=off"]
    if st.pg_path.exists() and any(st.pg_path.iterdir()):
        args.append("--delta")  # rewrite only the files that differ from the backup
    args.append(f"--target-timeline={timeline or 'latest'}")
    if to_time is None:
        args.append("--type=default")
    else:
        args += [f"--set={chosen}", "--type=time",
                 f"--target={to_time:%Y-%m-%d %H:%M:%S.%f}+00", "--target-action=promote"]
    log.info("pgbackrest restore of stanza %s to %s", st.name,
             "the latest point" if to_time is None else to_time.isoformat())
    _pgbackrest(st, *args, "restore", timeout=RESTORE_TIMEOUT_SECONDS)
    logfile = _start(st, config, deadline)
    _wait_promoted(st, logfile, deadline)
    seconds = time.monotonic() - started

    answer = _psql(st, "SELECT extract(epoch FROM pg_last_xact_replay_timestamp()),"
                       " pg_walfile_name(pg_current_wal_lsn())") or "|"
    replayed, _, walfile = answer.partition("|")
    recovered_to = dt.datetime.fromtimestamp(float(replayed), dt.UTC) if replayed else None
    result = {"recovered_to": recovered_to, "seconds": seconds,
              "timeline": int(walfile[:8], 16) if walfile else 0}
    log.info("pgbackrest restore of stanza %s done in %.1f s, timeline %s",
             st.name, seconds, result["timeline"])
    return result

