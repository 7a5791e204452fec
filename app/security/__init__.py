"""Passwords, PII encryption and blind indexes, roles and permissions."""
