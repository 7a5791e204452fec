"""Orders after they are placed: their lines, statuses and timeline."""
