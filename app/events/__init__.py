"""Domain events: `publish` in the transaction of a change; `@handler` to react after it
commits, on the worker, each handler retried on its own (docs/EVENTS.md)."""

from app.events.services import handler, publish

__all__ = ["handler", "publish"]
