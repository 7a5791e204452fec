"""Account jobs. Thin: they open an app context and call a service."""

from jobs.context import app_context


def purge_sessions() -> int:
    """Delete sign-in sessions that ended or expired long ago. Safe to run twice."""
    from app.accounts import sessions

    with app_context():
        return sessions.purge_ended()
