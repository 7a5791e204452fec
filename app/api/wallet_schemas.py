"""The wallet's answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.api.catalog_schemas import Money
from app.api.schemas import Output, Timestamp
from app.wallet.models import KINDS

Kind = Literal[KINDS]


class ExpiringOut(Output):
    amount: Money = Field(description="What is left of one credit.")
    expires_at: Timestamp


class WalletEntryOut(Output):
    kind: Kind = Field(description="`refund`, `goodwill`, `cashback`, `returned` (from a "
                                   "cancelled order), `adjustment` (the shop's correction), "
                                   "`spent` (on `order_number`), `expired`.")
    amount: Money = Field(description="Signed: negative for `spent` and `expired`.")
    balance_after: Money
    order_number: str | None
    reason: str | None = Field(description="The shop's words, for goodwill and corrections.")
    expires_at: Timestamp | None
    at: Timestamp


class WalletOut(Output):
    balance: Money
    expiring: list[ExpiringOut]
    entries: list[WalletEntryOut]

    @classmethod
    def of(cls, balance: int, lots, entries) -> WalletOut:
        return cls(balance=Money.of(balance),
                   expiring=[ExpiringOut(amount=Money.of(lot.left), expires_at=lot.expires_at)
                             for lot in lots],
                   entries=[WalletEntryOut(kind=e.kind, amount=Money.of(e.amount),
                                           balance_after=Money.of(e.balance_after),
                                           order_number=e.order_number, reason=e.reason,
                                           expires_at=e.expires_at, at=e.created_at)
                            for e in entries])
