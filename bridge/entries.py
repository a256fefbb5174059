"""What one AMQP message becomes: an entry on its source's stream, or a dead letter.

Pure functions with no I/O, so the routing rules can be read (and tested) on their own.
"""
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from kit.envelope import BadEnvelope, to_stream_fields, validate_envelope
from kit.topology import STREAM_FOR_SOURCE

from bridge.scripts import dead_letter_seen_key, packed_fields, seen_key


@dataclass(slots=True)
class StreamWrite:
    """One call of the mirror script: marker key, target stream, the entry's fields as ARGV."""
    marker: str
    stream: str
    field_args: list
    dead_letter: bool
    occurred_at: float | None = None  # epoch seconds, for the lag histogram
    event: tuple | None = None  # (id, type, correlation_id), for the log line


def stream_write(body, exchange, routing_key, dead_letter_stream):
    """Decide where a message goes. Never raises: anything unusable becomes a dead letter."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        envelope = validate_envelope(json.loads(body))
        payload = packed_fields(to_stream_fields(envelope))
    except (ValueError, BadEnvelope) as exc:  # JSON, Unicode and envelope errors are ValueErrors
        return dead_letter(body, exchange, routing_key, f"{type(exc).__name__}: {exc}",
                           dead_letter_stream)
    return StreamWrite(
        marker=seen_key(envelope["id"]),
        stream=STREAM_FOR_SOURCE[envelope["source"]],
        field_args=[payload],
        dead_letter=False,
        occurred_at=_epoch(envelope["occurred_at"]),
        event=(envelope["id"], envelope["type"], envelope.get("correlation_id") or None),
    )


def dead_letter(body, exchange, routing_key, reason, dead_letter_stream):
    fields = {
        "reason": reason,
        "body": body,
        "exchange": exchange or "",
        "routing_key": routing_key or "",
        "origin": "bridge",
    }
    return StreamWrite(
        marker=dead_letter_seen_key(body),
        stream=dead_letter_stream,
        field_args=[item for pair in fields.items() for item in pair],
        dead_letter=True,
    )


def _epoch(iso_timestamp):
    moment = datetime.fromisoformat(str(iso_timestamp).replace("Z", "+00:00"))
    if moment.tzinfo is None:  # validate_envelope accepts naive timestamps; the platform means UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
