"""Where a rendered message goes: an SMTP server, or files in the outbox folder (embedded)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit


class DeliveryError(Exception):
    """The provider refused or could not be reached; the message will be tried again."""


class FileMailer:
    """The embedded default: each mail becomes an .eml file a developer (or a test) can open."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, message: EmailMessage, dedupe_key: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in dedupe_key)
        path = self.folder / f"{safe}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(message))
        tmp.replace(path)  # a reader never sees half a file


class SmtpMailer:
    """`smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://host:465`."""

    def __init__(self, url: str, timeout: float = 20):
        self.url = urlsplit(url)
        self.timeout = timeout

    def send(self, message: EmailMessage, dedupe_key: str) -> None:
        u = self.url
        try:
            if u.scheme == "smtps":
                client = smtplib.SMTP_SSL(u.hostname, u.port or 465, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(u.hostname, u.port or 587, timeout=self.timeout)
            with client:
                client.ehlo()
                if u.scheme != "smtps" and client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if u.username:
                    client.login(unquote(u.username), unquote(u.password or ""))
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"smtp: {type(exc).__name__}: {exc}"[:450]) from exc


def mailer_for(config) -> FileMailer | SmtpMailer:
    if config.get("SMTP_URL"):
        return SmtpMailer(config["SMTP_URL"])
    return FileMailer(config["OUTBOX_DIR"])
