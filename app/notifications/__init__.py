"""Mail and SMS through a transactional outbox: domain code writes a row in its own
transaction; a relay delivers committed rows (in-process by default, RQ with REDIS_URL)."""
