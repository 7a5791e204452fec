"""Account jobs. Thin: they open an app context and call a service."""

from jobs.context import app_context


def purge_sessions() -> int:
    """Delete sign-in sessions that ended or expired long ago. Safe to run twice."""
    from app.accounts import sessions

    with app_context():
        return sessions.purge_ended()


def send_password_reset(index: str, ip: str | None = None) -> None:
    """Mail a reset link to the account with this email blind index, if there is one. Run
    for every request, known email or not, so the request itself takes the same time either
    way. Safe to run twice: a second mail with a second working link, nothing worse."""
    from app.accounts import services as accounts

    with app_context():
        accounts.send_password_reset(index, ip=ip)
