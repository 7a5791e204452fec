"""The one-click unsubscribe link of marketing mail.

A marketing sender passes `unsubscribe_url=unsubscribe_url(user_id)` in the message data:
the mail then carries List-Unsubscribe and List-Unsubscribe-Post (RFC 8058), and the layout's
footer shows the link. The token is signed, not stored, and does not expire: an old offer's
link must still work, and all it can do is switch offers by email off.
"""

from __future__ import annotations

from itsdangerous import BadSignature

from app.links import external_url, serializer

PURPOSE = "unsubscribe"


def unsubscribe_token(user_id: int) -> str:
    return serializer(PURPOSE).dumps({"u": int(user_id)})


def unsubscribe_url(user_id: int) -> str:
    """The absolute link for a marketing mail to this customer."""
    return external_url("accounts.unsubscribe", token=unsubscribe_token(user_id))


def user_id_from_token(token: str) -> int | None:
    """The customer a link was made for, or None for a link that was not made by us."""
    try:
        data = serializer(PURPOSE).loads(token)
    except BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) and user_id > 0 else None
