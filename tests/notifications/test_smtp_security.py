"""SMTP never sends a password or a message in clear unless SMTP_URL says so: smtps:// is TLS
from the first byte, smtp:// must upgrade with STARTTLS (offered, and with a certificate that
verifies), and only smtp+insecure:// talks plain SMTP. Real aiosmtpd servers on 127.0.0.1
(tests/jobs/conftest.py); the worker-level retries are in tests/jobs/test_delivery.py."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from app.notifications.transports import DeliveryError, SmtpMailer, mailer_for


def _mail() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "shop@kade.lk", "sarah@example.lk", "Your order")
    message["X-Kade-Dedupe-Key"] = "order:KD-1:order_placed"
    message.set_content("Thank you.")
    return message


def test_starttls_offered_and_verified_sends_over_tls(smtp):
    mailer = SmtpMailer(smtp.url, ca_file=smtp.ca_file)

    mailer.send(_mail(), "order:KD-1:order_placed")

    assert [m["Subject"] for m in smtp.handler.mails()] == ["Your order"]
    assert smtp.handler.over_tls == [True]
    assert smtp.logins == [(b"kade", b"smtp-secret-pw")]


def test_a_server_without_starttls_gets_no_password_and_no_mail(plain_smtp):
    mailer = SmtpMailer(plain_smtp.url)

    with pytest.raises(DeliveryError, match="offers no STARTTLS"):
        mailer.send(_mail(), "order:KD-1:order_placed")

    assert plain_smtp.logins == []
    assert plain_smtp.handler.senders == []
    assert plain_smtp.handler.mails() == []


def test_a_certificate_that_does_not_verify_gets_no_password_and_no_mail(smtp):
    mailer = SmtpMailer(smtp.url)  # the self-signed certificate is not trusted

    with pytest.raises(DeliveryError, match="TLS failed") as refused:
        mailer.send(_mail(), "order:KD-1:order_placed")

    assert "smtp-secret-pw" not in str(refused.value)
    assert smtp.logins == [] and smtp.handler.senders == []
    assert smtp.handler.mails() == []


def test_smtps_checks_the_certificate_too(smtp_certificate, tmp_path):
    """Implicit TLS: the server's certificate is checked before the first SMTP word."""
    import socket
    import ssl
    import threading

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*smtp_certificate)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    handshakes: list[str] = []

    def serve_one():
        conn, _ = listener.accept()
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                handshakes.append("ok")
                tls.sendall(b"421 closing\r\n")
        except (ssl.SSLError, OSError):
            handshakes.append("refused")

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    with pytest.raises(DeliveryError, match="TLS failed"):
        SmtpMailer(f"smtps://kade:smtp-secret-pw@127.0.0.1:{port}").send(_mail(), "k")
    thread.join(5)
    listener.close()

    assert handshakes == ["refused"]


def test_plain_smtp_only_when_the_url_says_so(plain_smtp):
    url = plain_smtp.url.replace("smtp://", "smtp+insecure://")

    SmtpMailer(url).send(_mail(), "order:KD-1:order_placed")

    assert [m["Subject"] for m in plain_smtp.handler.mails()] == ["Your order"]
    assert plain_smtp.handler.over_tls == [False]


@pytest.mark.parametrize("url", [
    "smtp+plain://mail.example.lk:25", "http://mail.example.lk", "mail.example.lk:587",
    "smtp://", "SMTPX://mail.example.lk"])
def test_an_smtp_url_of_another_spelling_is_refused(url):
    with pytest.raises(ValueError, match="smtp\\+insecure://"):
        mailer_for({"SMTP_URL": url, "OUTBOX_DIR": "/nonexistent"})


def test_the_app_refuses_to_start_with_a_misspelt_smtp_url(migrated, tmp_root):
    from app import create_app
    from tests.conftest import base_config

    with pytest.raises(RuntimeError, match="SMTP_URL must be"):
        create_app({**base_config(migrated, tmp_root),
                    "SMTP_URL": "smtp+tls://mail.example.lk:587"})
