"""Every route in the URL map, and every field a form or a JSON body has, fed NUL, other control
characters and bidi overrides: nothing answers 5xx.

Generic on purpose: a route or a field added later is swept without anyone listing it here.
Path segments, query parameters (every name the app reads), form fields (every field name of
every form) and JSON properties (every property of every request body in the OpenAPI
document) get the bad characters, as an anonymous visitor, a signed-in customer (with an
address, an order and a ticket, so the ids and numbers in the paths exist) and a signed-in
administrator, with card payments and the local PayHere sandbox on; and afterwards no stored
value holds one. Each form's field errors are checked in test_bad_input_forms.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from wtforms.fields.core import UnboundField

from tests.backoffice.conftest import sign_in_staff  # noqa: F401  (a fixture)
from tests.checkout.factories import customer_order, stocked
from tests.factories import make_address, make_customer, make_staff
from tests.payments.test_checkout_flow import payhere_settings
from tests.security.bad_input import every_form, stored_forbidden_values

BAD = ("\x00", "\x1b", "\x85", "\u202e")  # NUL, another C0, a C1, a bidi override
APP_DIR = Path(__file__).resolve().parents[2] / "app"
# POSTs that end the signed-in session: swept last, so every other route is tried signed in.
ENDS_SESSION = ("logout", "delete_account", "account_delete")


def form_field_names() -> set[str]:
    names = set()
    for form in every_form():
        for klass in form.__mro__:
            names.update(n for n, v in vars(klass).items() if isinstance(v, UnboundField))
    return names


def query_names() -> set[str]:
    """Every request parameter name the code reads by hand (`args.get("q")` and the like)."""
    found = set()
    pattern = re.compile(r"""(?:args|form|values)\.get(?:list)?\(\s*["']([A-Za-z_][\w-]*)["']""")
    for path in APP_DIR.rglob("*.py"):
        found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found


class Site:
    """Signed-in clients and the ids and numbers that exist for them."""

    def __init__(self, app, anonymous, customer_client, staff_client, values):
        self.app = app
        self.clients = {"anonymous": anonymous, "customer": customer_client,
                        "staff": staff_client}
        self.values = values


@pytest.fixture()
def site(make_app, db_session, login, sign_in_staff):  # noqa: F811
    from app.support import services as support

    # Card payments and the local PayHere sandbox on: their routes answer only then.
    app = make_app(**payhere_settings(PAYHERE_LOCAL_SANDBOX=True))

    customer = make_customer()
    address = make_address(customer.id)
    tea = stocked("Ceylon tea", units=20)
    order = customer_order(customer, (tea, 1))
    ticket = support.open_ticket(customer.id, subject="Where is it?", body="Still waiting.")
    other_staff = make_staff("support_agent")
    admin = make_staff("admin")
    ids = {"address_id": address.id, "line_id": 1, "ticket_id": ticket.id,
           "product_id": tea.product_id, "variant_id": tea.id, "user_id": other_staff.id,
           "number": order.number, "slug": tea.product.slug}
    customer_client = login(customer, c=app.test_client())
    staff_client = sign_in_staff(admin, c=app.test_client())
    return Site(app, app.test_client(), customer_client, staff_client, ids)


def _value_for(name, converter, site) -> object:
    value = site.values.get(name, "x")
    if type(converter).__name__ in ("IntegerConverter", "DatabaseIdConverter"):
        # The API names a ticket's id "number"; every other whole-number segment is an id.
        return value if isinstance(value, int) else site.values["ticket_id"]
    return value if isinstance(value, str) else "x"


def _routes(app):
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (
        any(word in r.endpoint for word in ENDS_SESSION), r.rule))
    return [r for r in rules if r.endpoint != "static"]


def _client_for(rule, site):
    if rule.rule.startswith("/staff"):
        return [site.clients["staff"]]
    return [site.clients["anonymous"], site.clients["customer"]]


def _urls(rule, site, bad):
    """The rule's URL with real values, then with `bad` in each string segment in turn."""
    values = {name: _value_for(name, conv, site) for name, conv in rule._converters.items()}
    yield rule.build(values, append_unknown=False)[1]
    for name, value in values.items():
        if isinstance(value, str):
            yield rule.build({**values, name: value + bad}, append_unknown=False)[1]


def _send(client, method, url, **kwargs):
    try:
        # Buffered: a streamed CSV is read while its request context is still the current one.
        return client.open(url, method=method, buffered=True, **kwargs).status_code
    except Exception as exc:  # TESTING propagates exceptions: that is a 500 to a visitor
        return f"500 ({type(exc).__name__}: {str(exc)[:120]})"


def _json_bodies(spec, rule, method, bad):
    """One body per property of the operation's request schema, that property bad."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
    operation = spec["paths"].get(path, {}).get(method.lower(), {})
    schema = (operation.get("requestBody", {}).get("content", {})
              .get("application/json", {}).get("schema"))
    if not schema:
        yield {"x": "a" + bad}
        return
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    properties = schema.get("properties", {})
    yield {name: "a" + bad for name in properties}
    for name in properties:
        yield {name: "a" + bad}


def test_no_route_answers_5xx_to_control_characters_or_bidi_overrides(site):
    app = site.app
    spec = app.spec  # made once: APIFlask builds the whole document anew at each `app.spec`
    field_names = form_field_names() | query_names()
    failures = []
    for rule in _routes(app):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for client in _client_for(rule, site):
            for bad in BAD:
                query = {name: "a" + bad for name in sorted(field_names)}
                for url in _urls(rule, site, bad):
                    for method in methods:
                        if rule.rule.startswith("/api/") and method != "GET":
                            for body in _json_bodies(spec, rule, method, bad):
                                failures.append((method, url, "json", _send(
                                    client, method, url, json=body)))
                        elif method == "GET":
                            failures.append((method, url, "", _send(client, method, url)))
                            failures.append((method, url, "query", _send(
                                client, method, url, query_string=query)))
                        else:
                            failures.append((method, url, "form", _send(
                                client, method, url, data=query)))
                            failures.append((method, url, "query", _send(
                                client, method, url, query_string=query)))
                    # A bad character in the query's names, not only its values.
                    failures.append(("GET", url, "name", _send(
                        client, "GET", url, query_string={"a" + bad: "1"})))
    failures = [f for f in failures if not isinstance(f[3], int) or f[3] >= 500]
    report = sorted({f"{m} {u!r} [{w}] -> {s}" for m, u, w, s in failures})
    assert failures == [], "\n".join(report)
    with app.app_context():
        assert stored_forbidden_values() == []
