"""How support takes part in a customer's rights (app.accounts.privacy): their tickets in
the copy of their data, and their words out of support when they erase their account.

Registered by the app factory. The erasure part runs inside the erasure's transaction,
before the account's own fields are emptied: staff replies may quote the customer's name,
e-mail or phone, which nobody knows afterwards."""

from __future__ import annotations

from app.accounts import privacy as accounts_privacy
from app.support import services as support


def _export(user_id: int, locale: str) -> list[dict]:
    return support.export_for(user_id)


accounts_privacy.holds_personal_data("support_tickets", export=_export,
                                     erase_before=support.erase_for)
