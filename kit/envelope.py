"""The event envelope (ARCHITECTURE §3), the same on AMQP and on the streams.

{"id": uuid4, "type": "order.created", "source": "orders", "version": 1,
 "occurred_at": "2026-11-23T10:00:00.123Z", "correlation_id": "req-…", "data": {...}}
"""
import json
import uuid
from datetime import datetime, timezone

from kit.topology import STREAM_FOR_SOURCE

ENVELOPE_FIELDS = ("id", "type", "source", "occurred_at", "correlation_id", "version", "data")


class BadEnvelope(ValueError):
    """An event that does not follow the envelope; it goes to dead_letter, never to a stream."""


def utc_now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_envelope(event_type, source, data, correlation_id=None, version=1, event_id=None,
                  occurred_at=None):
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "source": source,
        "version": version,
        "occurred_at": occurred_at or utc_now_iso(),
        "correlation_id": correlation_id or "",
        "data": data,
    }


def validate_envelope(envelope):
    """Return the envelope if it is well-formed, else raise BadEnvelope saying why."""
    if not isinstance(envelope, dict):
        raise BadEnvelope("envelope is not a JSON object")
    missing = [f for f in ENVELOPE_FIELDS if f not in envelope and f != "correlation_id"]
    if missing:
        raise BadEnvelope(f"missing fields: {', '.join(missing)}")
    try:
        uuid.UUID(str(envelope["id"]))
    except ValueError:
        raise BadEnvelope("id is not a UUID")
    if not isinstance(envelope["type"], str) or "." not in envelope["type"]:
        raise BadEnvelope("type must be a dotted string such as order.created")
    if envelope["source"] not in STREAM_FOR_SOURCE:
        raise BadEnvelope(f"unknown source {envelope['source']!r}")
    if not isinstance(envelope["version"], int) or isinstance(envelope["version"], bool):
        raise BadEnvelope("version must be an integer")
    if not isinstance(envelope["data"], dict):
        raise BadEnvelope("data must be a JSON object")
    try:
        datetime.fromisoformat(str(envelope["occurred_at"]).replace("Z", "+00:00"))
    except ValueError:
        raise BadEnvelope("occurred_at is not an ISO-8601 timestamp")
    return envelope


def to_stream_fields(envelope):
    """Flatten an envelope into stream entry fields (data as JSON text)."""
    return {
        "id": envelope["id"],
        "type": envelope["type"],
        "source": envelope["source"],
        "occurred_at": envelope["occurred_at"],
        "correlation_id": envelope.get("correlation_id") or "",
        "version": str(envelope["version"]),
        "data": json.dumps(envelope["data"], separators=(",", ":"), sort_keys=True),
    }


def from_stream_fields(fields):
    """Rebuild an envelope from a stream entry (bytes or str fields)."""
    f = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
         for k, v in fields.items()}
    return {
        "id": f["id"],
        "type": f["type"],
        "source": f["source"],
        "occurred_at": f["occurred_at"],
        "correlation_id": f.get("correlation_id", ""),
        "version": int(f.get("version", 1)),
        "data": json.loads(f.get("data") or "{}"),
    }
