"""RQ job functions, queue names and the periodic schedule."""

QUEUES = ("high", "default", "low", "backups")
