"""Demo store credit, so `make run` shows the wallet at work: each demo customer gets
Rs 500 from the shop (once; the entry's key), with a reason they can read. Points come by
themselves: the demo orders whose money arrived earned them."""

from __future__ import annotations

from app.accounts import services as accounts
from app.wallet import services as wallet

DEMO_CREDIT_CENTS = 500_00


def load_demo_credit(emails: list[str]) -> list[str]:
    given = []
    for email in emails:
        user = accounts.find_by_email(email)
        if user is None:
            continue
        wallet.add(user.id, DEMO_CREDIT_CENTS, kind="goodwill",
                   reason="Welcome to the Kade demo shop", dedupe_key=f"demo:credit:{email}")
        given.append(email)
    return [f"Demo store credit: Rs 500 each for {', '.join(given)}"] if given else []
