"""Customers and staff: registration, sign-in, profile, addresses, personal data rights."""
