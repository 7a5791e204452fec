"""What API tests share: bearer headers, signing in, and what a problem+json answer is."""

from __future__ import annotations

from tests.factories import PASSWORD

PROBLEM = "application/problem+json"


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def sign_in(client, email: str, password: str = PASSWORD) -> dict:
    """The token pair of POST /auth/token, as the mobile app gets it."""
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is problem+json with this status (and code); returns the body."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    if code is not None:
        assert body["code"] == code, body
    return body


def error_fields(body: dict) -> set[str | None]:
    return {error["field"] for error in body.get("errors", [])}
