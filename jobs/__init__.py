"""RQ job functions. Each is thin: it opens an app context and calls a service."""
