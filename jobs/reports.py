"""Report jobs. Thin: they open an app context and call a service."""

from jobs.context import app_context

# Colombo time of the nightly analytics export: just after midnight, once yesterday is over,
# and before the backups' busy hours (02:00 on).
EXPORT_AT = "00:30"


def export_analytics() -> list[str]:
    """Write yesterday's Colombo day (and the days a change since made stale) to the
    analytics export (docs/ANALYTICS.md). Safe to run twice: each day's files are written
    whole, replacing the last ones. Returns the days written, as YYYY-MM-DD."""
    from app.reports import export

    with app_context():
        return [day.isoformat() for day in export.nightly()]


def run_report(run_id: int) -> None:
    """Prepare one report run's CSV (app/reports/runs.py). Safe to run twice: the service
    claims only a queued run."""
    from app.reports import runs

    with app_context():
        runs.run_report(run_id)
