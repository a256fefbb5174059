"""Pure logic of the envelope: what the bridge accepts and what it dead-letters."""
import pytest

from kit.envelope import (BadEnvelope, from_stream_fields, make_envelope, to_stream_fields,
                          validate_envelope)


def good():
    return make_envelope("user.created", "users", {"user_id": 1}, correlation_id="req-1")


def test_a_made_envelope_is_valid_and_round_trips_through_stream_fields():
    envelope = good()
    assert validate_envelope(envelope) is envelope
    fields = to_stream_fields(envelope)
    assert set(fields) == {"id", "type", "source", "occurred_at", "correlation_id", "version",
                           "data"}
    assert from_stream_fields(fields) == envelope


@pytest.mark.parametrize("change, reason", [
    (lambda e: e.pop("id"), "missing"),
    (lambda e: e.update(id="not-a-uuid"), "UUID"),
    (lambda e: e.update(type="nodot"), "dotted"),
    (lambda e: e.update(source="elsewhere"), "unknown source"),
    (lambda e: e.update(version="1"), "integer"),
    (lambda e: e.update(data=[1]), "object"),
    (lambda e: e.update(occurred_at="yesterday"), "ISO-8601"),
])
def test_a_broken_envelope_is_refused_with_a_reason(change, reason):
    envelope = good()
    change(envelope)
    with pytest.raises(BadEnvelope, match=reason):
        validate_envelope(envelope)


def test_a_non_object_is_refused():
    with pytest.raises(BadEnvelope):
        validate_envelope(["user.created"])
