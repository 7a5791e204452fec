"""Backups and restores: `flask backup create|list|verify|restore`.

- sealed.py      compress + AES-GCM encrypt a file in chunks under BACKUP_KEYS
- targets.py     where sealed files and manifests live: a folder or an S3 bucket
- sqlite.py      online snapshots with SQLite's backup API, and putting one back
- pgdump.py      PostgreSQL's logical copy (pg_dump -Fc / pg_restore)
- pgbackrest.py  PostgreSQL's continuous WAL archiving and point-in-time recovery
- services.py    create, list, verify, restore, prune, status: what the CLI, jobs and pages call
"""
