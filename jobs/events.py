"""Jobs that hand domain events to their handlers. Thin: an app context and a service call;
they carry no ids at all (the handling rows are the truth)."""

from jobs.context import app_context


def deliver() -> int:
    """Run every due handling, each in its own transaction (a commit's wake-up, and the
    periodic sweep: handlings whose wake-up was lost, whose backoff is over or whose worker
    died mid-way). A long queue wakes another run rather than holding this one."""
    from app.events import services as events

    with app_context() as app:
        events.woken(app)  # before reading: a commit from now on queues the next run
        ran = events.deliver_due()
        if ran >= events.DELIVER_BATCH:
            events.wake(app)
        return ran
