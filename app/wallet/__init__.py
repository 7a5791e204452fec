"""The customer's wallet: store credit (rupees) and, on the same ledger, loyalty points.

Each is an account per customer kept as a ledger that is only ever appended to; the
account's balance is the ledger's sum, kept beside it so a spend is one conditional update
(never below zero, whatever runs at the same time). Payments use store credit as a tender;
`services` is the one way in.
"""
