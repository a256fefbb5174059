"""Helpers for the services' presenters.py (the plain dicts a service returns over RPC)."""


def iso(value):
    """A datetime (or date) as ISO 8601 text; None stays None."""
    return value.isoformat() if value is not None else None
