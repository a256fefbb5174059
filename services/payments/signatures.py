"""Webhook signatures: `Aarya-Signature: t=<unix>,v1=<hex hmac-sha256(secret, f"{t}.{body}")>`.

The provider signs each delivery with the current time; we verify the HMAC over the exact body
text, then refuse a timestamp older than the tolerance (a captured webhook replayed later).
"""
import hashlib
import hmac
import time

from kit.errors import Conflict, Unauthorized

HEADER = "Aarya-Signature"


def sign(secret, body, timestamp=None):
    """The header value for `body` (str) signed at `timestamp` (default: now)."""
    t = int(time.time() if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def _parse(header):
    parts = {}
    for item in (header or "").split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        return int(parts["t"][0]), parts.get("v1", [])
    except (KeyError, ValueError, IndexError):
        return None, []


def bad_signature(message="The webhook signature does not match."):
    return Unauthorized("bad_signature", message)


def verify(secret, body, header, tolerance_s, now=None):
    """The signed timestamp if `header` signs `body` with `secret`.

    Unauthorized bad_signature when it does not (or is missing, or dated in the future);
    Conflict webhook_replayed when it does but is older than `tolerance_s`.
    """
    if not isinstance(body, str) or not isinstance(header, str):
        raise bad_signature("A signed webhook body and its Aarya-Signature header are required.")
    timestamp, candidates = _parse(header)
    if timestamp is None or not candidates:
        raise bad_signature("The Aarya-Signature header is malformed.")
    expected = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(),
                        hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise bad_signature()
    now = time.time() if now is None else now
    if timestamp > now + tolerance_s:
        raise bad_signature("The signature is dated in the future.")
    if now - timestamp > tolerance_s:
        raise Conflict("webhook_replayed", "The webhook's signature is too old.",
                       {"signed_at": timestamp, "tolerance_s": int(tolerance_s)})
    return timestamp
