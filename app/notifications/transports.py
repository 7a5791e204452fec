"""Where a rendered message goes: an SMTP server or an SMS gateway, or files in the outbox
folder (the embedded default)."""

from __future__ import annotations

import contextlib
import json
import smtplib
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
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


# How SMTP_URL says which transport security to use. A plain connection carries the
# password and every message readable by anyone on the path, so it is never a fallback:
# only the explicit `smtp+insecure://` spelling gives one (a relay on the same host).
SMTP_SCHEMES = {"smtps": "tls", "smtp": "starttls", "smtp+insecure": "plain"}


def smtp_security(url: str) -> str:
    """`tls`, `starttls` or `plain` for an SMTP_URL; ValueError for any other spelling, so a
    typo fails at start rather than sending in clear."""
    parts = urlsplit(url)
    security = SMTP_SCHEMES.get(parts.scheme.lower())
    if security is None or not parts.hostname:
        raise ValueError("SMTP_URL must be smtps://host:465, smtp://host:587 (STARTTLS "
                         "required) or smtp+insecure://host:25 (no encryption)")
    return security


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Certificates and host names are always checked; `ca_file` adds the authority of a
    private relay (SMTP_CA_FILE) to the system's, it never turns checking off."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


class SmtpMailer:
    """`smtps://user:pass@host:465` (TLS from the first byte), `smtp://user:pass@host:587`
    (STARTTLS, which must be offered and must succeed before anything is sent), or
    `smtp+insecure://host:25` (no encryption at all, only because the URL says so)."""

    def __init__(self, url: str, timeout: float = 20, ca_file: str | None = None):
        self.security = smtp_security(url)
        self.url = urlsplit(url)
        self.timeout = timeout
        self.ca_file = ca_file

    def send(self, message: EmailMessage, dedupe_key: str) -> None:
        """Hand the message to the server. `timeout` bounds connecting and, once connected,
        the whole conversation (a server that drips its answers does not stretch it), so
        an attempt never outlives the outbox's lease. Raises DeliveryError."""
        u = self.url
        cut = threading.Event()
        try:
            if self.security == "tls":
                client = smtplib.SMTP_SSL(u.hostname, u.port or 465, timeout=self.timeout,
                                          context=tls_context(self.ca_file))
            else:
                default_port = 587 if self.security == "starttls" else 25
                client = smtplib.SMTP(u.hostname, u.port or default_port, timeout=self.timeout)
            watchdog = threading.Timer(self.timeout, _hang_up, (client, cut))
            watchdog.daemon = True
            watchdog.start()
            with _cancelled(watchdog), client:
                client.ehlo()
                if self.security == "starttls":
                    if not client.has_extn("starttls"):
                        # A server (or someone in the middle) that hides STARTTLS gets
                        # neither the password nor the message.
                        raise DeliveryError("smtp: the server offers no STARTTLS; nothing "
                                            "was sent (smtp+insecure:// allows plain SMTP)")
                    # Raises on a refused upgrade or a certificate that does not verify.
                    client.starttls(context=tls_context(self.ca_file))
                    client.ehlo()
                if u.username:
                    client.login(unquote(u.username), unquote(u.password or ""))
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            # Its text names the address: keep only the codes (last_error is plain text).
            codes = ", ".join(str(code) for code, _ in exc.recipients.values())
            raise DeliveryError(f"smtp: recipient refused ({codes})") from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"smtp: {type(exc).__name__} {exc.smtp_code}") from exc
        except ssl.SSLError as exc:
            raise DeliveryError(f"smtp: TLS failed ({exc.reason or type(exc).__name__}); "
                                "nothing was sent") from exc
        except (OSError, smtplib.SMTPException) as exc:
            if cut.is_set() or isinstance(exc, TimeoutError):
                raise DeliveryError(f"smtp: no answer within {self.timeout:g} s") from exc
            raise DeliveryError(f"smtp: {type(exc).__name__}") from exc


def _hang_up(client: smtplib.SMTP, cut: threading.Event) -> None:
    """The watchdog's end of a conversation that ran out of time: shut the socket down,
    which wakes the read that waits for the server (closing it would not). The plain
    socket's shutdown, under TLS too: the TLS layer's own would race the reading thread."""
    sock = client.sock
    if sock is None:
        return
    cut.set()
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


@contextlib.contextmanager
def _cancelled(timer: threading.Timer):
    try:
        yield
    finally:
        timer.cancel()


def mailer_for(config) -> FileMailer | SmtpMailer:
    if config.get("SMTP_URL"):
        return SmtpMailer(config["SMTP_URL"], ca_file=config.get("SMTP_CA_FILE"),
                          timeout=config.get("OUTBOX_SEND_TIMEOUT_SECONDS", 20))
    return FileMailer(config["OUTBOX_DIR"])


# ---- SMS -------------------------------------------------------------------------------------

GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€")
GSM7_DOUBLE = frozenset("^{}\\[~]|€")  # escape + char: two septets each


def sms_encoding(text: str) -> str:
    """`gsm7` when every character fits the GSM 03.38 alphabet, else `unicode` (UCS-2):
    Sinhala and Tamil are always unicode."""
    return "gsm7" if all(c in GSM7 for c in text) else "unicode"


def sms_segments(text: str) -> int:
    """How many SMS segments `text` costs: 160 GSM-7 septets in one message or 153 per part;
    70 UCS-2 characters in one or 67 per part (characters beyond the BMP count twice)."""
    if sms_encoding(text) == "gsm7":
        units, single, part = sum(2 if c in GSM7_DOUBLE else 1 for c in text), 160, 153
    else:
        units, single, part = sum(2 if ord(c) > 0xFFFF else 1 for c in text), 70, 67
    if units <= single:
        return 1
    return -(-units // part)


def gateway_number(e164: str) -> str:
    """`+94771234567` -> `94771234567`, the form Sri Lankan gateways take. Only Sri Lankan
    numbers: anything else is refused for good (it would never be delivered)."""
    digits = (e164 or "").removeprefix("+")
    if not (digits.startswith("94") and digits.isdigit() and len(digits) == 11):
        raise UndeliverableError("not a Sri Lankan mobile number")
    return digits


class UndeliverableError(DeliveryError):
    """Retrying cannot help (a bad number, a message the gateway rejects as malformed)."""


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    text: str
    dedupe_key: str

    @property
    def encoding(self) -> str:
        return sms_encoding(self.text)

    @property
    def segments(self) -> int:
        return sms_segments(self.text)


class FileSms:
    """The embedded default: each SMS becomes a .json file in the outbox folder."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, sms: Sms) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in sms.dedupe_key)
        path = self.folder / f"{safe}.sms.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"to": gateway_number(sms.to), "message": sms.text,
                                   "type": sms.encoding, "segments": sms.segments,
                                   "reference": sms.dedupe_key}, ensure_ascii=False))
        tmp.replace(path)
        return safe


class HttpSmsGateway:
    """An HTTP SMS gateway shaped like the Sri Lankan ones (Notify.lk and alike): a POST of
    `user_id`, `api_key`, `sender_id`, `to` (94XXXXXXXXX), `message` and, for Sinhala or
    Tamil, `type=unicode`; a JSON answer with `"status": "success"`. Our dedupe key goes as
    `reference` (and the X-Request-Id header) so a repeated send is recognisable."""

    def __init__(self, url: str, *, user_id: str, api_key: str, sender_id: str,
                 timeout: float = 15):
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("SMS_GATEWAY_URL must be an http(s) address")
        self.url, self.user_id, self.api_key, self.sender_id = url, user_id, api_key, sender_id
        self.timeout = timeout

    def send(self, sms: Sms) -> str:
        form = {"user_id": self.user_id, "api_key": self.api_key,
                "sender_id": self.sender_id, "to": gateway_number(sms.to),
                "message": sms.text, "reference": sms.dedupe_key}
        if sms.encoding == "unicode":
            form["type"] = "unicode"
        request = urllib.request.Request(  # noqa: S310 — our configured gateway, checked below
            self.url, data=urllib.parse.urlencode(form).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Accept": "application/json", "X-Request-Id": sms.dedupe_key[:128]})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 — our configured gateway
                body = answer.read(65536)
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                raise UndeliverableError(f"sms gateway refused: HTTP {exc.code}") from exc
            raise DeliveryError(f"sms gateway: HTTP {exc.code}") from exc
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"sms gateway: {type(exc).__name__}: {exc}"[:450]) from exc
        try:
            result = json.loads(body)
        except ValueError as exc:
            raise DeliveryError("sms gateway: an answer that is not JSON") from exc
        if not isinstance(result, dict) or str(result.get("status", "")).lower() != "success":
            raise DeliveryError(f"sms gateway: {str(result)[:200]}")
        data = result.get("data") if isinstance(result.get("data"), dict) else {}
        return str(data.get("id") or data.get("message_id") or "")[:64]


def sms_sender_for(config) -> FileSms | HttpSmsGateway:
    if config.get("SMS_GATEWAY_URL"):
        return HttpSmsGateway(config["SMS_GATEWAY_URL"], user_id=config["SMS_USER_ID"] or "",
                              api_key=config["SMS_API_KEY"] or "",
                              sender_id=config["SMS_SENDER_ID"],
                              timeout=config.get("OUTBOX_SEND_TIMEOUT_SECONDS", 20))
    return FileSms(config["OUTBOX_DIR"])
