"""Health, readiness, logs and (later) backups and metrics."""
