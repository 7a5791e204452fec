"""Stock per variant per warehouse. This first slice holds levels; the movement ledger,
reservations and back-office screens come with the checkout work."""
