"""The audit log: who did what, when, from where. Written by services, read by staff admins."""
