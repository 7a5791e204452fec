"""The SMTP servers of the job tests (tests/jobs/conftest.py), for the transport's own tests:
`smtp` offers STARTTLS with a certificate made for the run, `plain_smtp` offers none."""

from tests.jobs.conftest import plain_smtp, smtp, smtp_certificate  # noqa: F401
