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


class PointsExpiringOut(Output):
    points: int
    expires_at: Timestamp


class PointsEntryOut(Output):
    kind: Kind = Field(description="`earned` (on `order_number`), `taken_back` (that order "
                                   "cancelled or refunded), `spent`, `returned`, "
                                   "`adjustment`, `expired`.")
    points: int = Field(description="Signed: negative for `spent`, `taken_back`, `expired`.")
    balance_after: int
    order_number: str | None
    reason: str | None
    expires_at: Timestamp | None
    at: Timestamp


class SchemeOut(Output):
    enabled: bool
    points_per_100_rupees: int = Field(description="Earned for each Rs 100 paid.")
    point_value: Money = Field(description="What one point pays at checkout.")
    expiry_months: int


class PointsOut(Output):
    balance: int
    value: Money = Field(description="What `balance` pays at checkout now.")
    scheme: SchemeOut
    expiring: list[PointsExpiringOut]
    entries: list[PointsEntryOut]

    @classmethod
    def of(cls, balance: int, scheme, lots, entries) -> PointsOut:
        return cls(
            balance=balance, value=Money.of(scheme.value_of(balance)),
            scheme=SchemeOut(enabled=scheme.enabled,
                             points_per_100_rupees=scheme.points_per_100_rupees,
                             point_value=Money.of(scheme.point_value_cents),
                             expiry_months=scheme.expiry_months),
            expiring=[PointsExpiringOut(points=lot.left, expires_at=lot.expires_at)
                      for lot in lots],
            entries=[PointsEntryOut(kind=e.kind, points=e.amount, balance_after=e.balance_after,
                                    order_number=e.order_number, reason=e.reason,
                                    expires_at=e.expires_at, at=e.created_at)
                     for e in entries])
