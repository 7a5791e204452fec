"""Why a backup or a restore did not happen. The CLI prints `str(error)` and exits non-zero;
the scheduler's job fails with it (and staff are alerted)."""

from __future__ import annotations


class BackupError(Exception):
    """A backup could not be made, listed or stored."""


class RestoreRefused(BackupError):
    """A restore was refused before anything was touched: the live database is unchanged."""


class CorruptBackup(RestoreRefused):
    """The file's checksum or an encrypted chunk does not verify: changed after it was made."""


class WrongKey(RestoreRefused):
    """The backup was sealed under a key that BACKUP_KEYS does not hold (or not this one)."""
