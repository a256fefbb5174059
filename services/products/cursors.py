"""Opaque keyset cursors: the sort key of the last row a page returned, for `WHERE key > last`.

A cursor is URL-safe base64 of a small JSON object. Clients must treat it as opaque; we only
promise that the `next_cursor` of one page, sent back with the same sort, gives the next page.
A cursor that does not decode, or was made for another sort, is a ValidationFailed on `cursor`.
"""
import base64
import binascii
import json

from kit.errors import ValidationFailed


def bad_cursor(message="Not a valid cursor for this listing."):
    return ValidationFailed("validation_failed", "Some fields are invalid.",
                            {"fields": {"cursor": [message]}})


def encode(kind, key):
    raw = json.dumps({"k": kind, "after": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor, kind):
    """The key stored in `cursor`, which must have been made for listings of `kind`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad_cursor()
    if not isinstance(body, dict) or body.get("k") != kind or "after" not in body:
        raise bad_cursor()
    return body["after"]
