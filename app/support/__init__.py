"""Support tickets: customers ask, staff reply (publicly or with internal notes)."""
