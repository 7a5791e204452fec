"""The access log names the route, never the address: reset links and order links carry their
tokens in the path and the query string, and neither may reach a log line. Checked on the
app's own request lines (in-process) and on everything a real gunicorn, started with
gunicorn.conf.py, writes while it serves those links and a malformed request."""

from __future__ import annotations

import io
import logging
import socket
import time
import urllib.request
from urllib.parse import parse_qsl, urlsplit

import pytest

from app.accounts import services as accounts
from app.ops.logs import JsonFormatter
from tests.checkout.factories import place_guest_order, stocked
from tests.conftest import PASSWORD
from tests.ops import servers


def _secrets_of(url: str) -> set[str]:
    """The parts of a link that open something: long path segments and query values."""
    parts = urlsplit(url)
    found = {segment for segment in parts.path.split("/") if len(segment) >= 20}
    found |= {value for _, value in parse_qsl(parts.query) if len(value) >= 8}
    assert found, f"{url} carries no token"
    return found


def _relative(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _links(app, outbox, customer) -> list[str]:
    """A password-reset link and a guest's order link, as mailed."""
    with app.app_context():
        accounts.request_password_reset(customer.email)
        number = place_guest_order((stocked(units=5), 1)).number
    [reset] = outbox.to(customer.email, "reset")
    [order_mail] = [m for m in outbox.messages()
                    if m["X-Kade-Dedupe-Key"] == f"order:{number}:order_placed"]
    return [outbox.link(reset), outbox.link(order_mail)]


@pytest.fixture()
def captured_log():
    """Every record logged while the test runs, as the JSON lines production writes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def test_the_request_log_of_reset_and_order_links_holds_no_token(
        app, client, customer, outbox, captured_log):
    reset_link, order_link = _links(app, outbox, customer)
    secrets = _secrets_of(reset_link) | _secrets_of(order_link)

    opened = client.get(_relative(reset_link))
    reset = client.post(_relative(reset_link), data={"password": "a fresh pass phrase",
                                                    "confirm": "a fresh pass phrase"})
    again = client.get(_relative(reset_link))  # used: refused, and still not logged
    order = client.get(_relative(order_link))
    invoice_path = _relative(order_link).replace("?", "/invoice.pdf?", 1)
    invoice = client.get(invoice_path)

    assert [r.status_code for r in (opened, reset, again, order, invoice)] == [
        200, 303, 400, 200, 200]
    log = captured_log.getvalue()
    assert '"route": "/account/reset/<token>"' in log
    assert '"route": "/orders/<number>"' in log
    for secret in secrets:
        assert secret not in log
    assert customer.email not in log


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        return conn.recv(200)


@pytest.fixture()
def gunicorn(migrated, tmp_path):
    """`gunicorn -c gunicorn.conf.py wsgi:app` on a free port, as `make serve` runs it, on
    the test database and keys; everything it writes goes to one file."""
    with servers.gunicorn(migrated, tmp_path) as server:
        yield server.port, server.output


def test_gunicorn_writes_no_token_of_the_links_it_served(
        gunicorn, app, customer, outbox):
    port, output = gunicorn
    links = _links(app, outbox, customer)
    secrets = set().union(*(_secrets_of(link) for link in links))
    base = f"http://127.0.0.1:{port}"

    statuses = []
    for link in links:
        with urllib.request.urlopen(base + _relative(link), timeout=10) as answer:
            statuses.append(answer.status)
    # A request gunicorn cannot parse quotes its request line in its error message.
    token = next(iter(secrets))
    refused = _raw(port, f"GET /account/reset/{token}?t={token}\r\nHost: x\r\n\r\n".encode())
    time.sleep(0.5)  # the worker's lines reach the file

    log = output.read_text(errors="replace")
    assert statuses == [200, 200]
    assert refused.startswith(b"HTTP/1.1 400")
    assert '"route": "/account/reset/<token>"' in log and '"status": 200' in log
    assert "Invalid request from ip=127.0.0.1" in log  # gunicorn still says what happened
    for secret in secrets:
        assert secret not in log, log[-2000:]
    assert PASSWORD not in log
