"""How the bridge sorts a message: an entry for its source's stream, or a dead letter (no servers)."""
import json

from bridge.entries import stream_write
from bridge.scripts import packed_fields
from kit.envelope import make_envelope, to_stream_fields


def _fields(write):
    if write.dead_letter:
        args = write.field_args
        return dict(zip(args[::2], args[1::2]))
    flat = json.loads(write.field_args[0])
    return dict(zip(flat[::2], flat[1::2]))


def test_a_valid_event_goes_to_its_source_stream_keyed_by_its_id():
    event = make_envelope("order.created", "orders", {"order_id": 5, "note": "₹499 — café 😀"})
    write = stream_write(json.dumps(event).encode(), "orders.events", "order.created", "dead_letter")

    assert (write.stream, write.marker, write.dead_letter) == (
        "order_events", f"bridge:seen:{event['id']}", False)
    assert _fields(write) == to_stream_fields(event)


def test_an_unknown_source_is_a_dead_letter_with_the_raw_body():
    body = json.dumps(make_envelope("x.happened", "nobody", {})).encode()
    write = stream_write(body, "nobody.events", "x.happened", "dead_letter")

    assert (write.stream, write.dead_letter) == ("dead_letter", True)
    fields = _fields(write)
    assert fields["body"] == body and fields["origin"] == "bridge"
    assert "unknown source" in fields["reason"]


def test_text_that_is_not_unicode_is_a_dead_letter_not_a_poison_message():
    event = make_envelope("user.created", "users", {}, correlation_id="req-x")
    body = json.dumps(event).replace('"req-x"', '"req-\\ud800"').encode()  # a lone surrogate
    write = stream_write(body, "users.events", "user.created", "dead_letter")

    assert write.dead_letter
    assert _fields(write)["reason"].startswith("UnicodeEncodeError")


def test_bytes_that_are_not_utf8_are_a_dead_letter():
    write = stream_write(b"\xff\xfe{", "users.events", "user.created", "dead_letter")
    assert write.dead_letter and _fields(write)["body"] == b"\xff\xfe{"


def test_the_packed_fields_keep_their_order():
    assert json.loads(packed_fields({"b": "1", "a": "2"})) == ["b", "1", "a", "2"]
