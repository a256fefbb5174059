"""Pure rules of the analytics service, without servers: InfluxDB point identity and the
stable codes of bad ranges and batches."""
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from kit.errors import ValidationFailed
from services.analytics import points, schemas

AT = datetime(2026, 12, 3, 10, 0, 0, 123000, tzinfo=timezone.utc)


def test_one_events_point_is_the_same_point_every_time_and_two_events_never_collide():
    first, second = uuid.uuid4(), uuid.uuid4()
    assert points.sale(first, AT, 149950, "INR") == points.sale(first, AT, 149950, "INR")
    assert points.point_time_ns(AT, first) != points.point_time_ns(AT, second)
    assert points.point_time_ns(AT, first) // 1_000_000 == int(AT.timestamp() * 1000)
    assert points.sale(first, AT.isoformat(), 1, "INR") == points.sale(first, AT, 1, "INR")


@pytest.mark.parametrize("measurement, fields, tags", [
    ("sales", {"amount": 149950, "orders": 1}, {"currency": "INR"}),
    ("latency", {"count": 3, "sum_ms": 12.5, "max_ms": 7.0},
     {"route": "GET /api/products/<int:id>,x=y"}),
    ("latency", {"count": 1, "sum_ms": 3.0, "max_ms": 3.0},
     {"route": "tab\tback\\slash", "empty": "", "none": None}),
    ("add_to_cart", {"quantity": 2, "count": 1}, None),
    ("note", {"text": 'say "hi" \\ bye', "ok": True}, {"b": "2", "a": "1"}),
])
def test_the_fast_line_formatter_spells_points_as_influxdb_client_does(measurement, fields, tags):
    event = uuid.uuid4()
    assert points.line(measurement, AT, event, fields, tags) == \
        points.point_line(measurement, AT, event, fields, tags)


@pytest.mark.parametrize("params, code", [
    ({"from": "2026-12-05", "to": "2026-12-01"}, "invalid_range"),
    ({"from": "2025-01-01", "to": "2026-01-02"}, "range_too_long"),
    ({"from": "soon"}, "validation_failed"),
    ({"from": "2026-12-01", "colour": "red"}, "validation_failed"),
])
def test_bad_ranges_have_stable_codes(params, code):
    with pytest.raises(ValidationFailed) as raised:
        schemas.load_range(params)
    assert raised.value.code == code


def test_a_full_year_is_allowed_and_days_default_to_today():
    year = schemas.load_range({"from": "2025-01-01", "to": "2025-12-31"})
    assert len(schemas.days(year["from_"], year["to"])) == 365
    today = datetime.now(timezone.utc).date()
    defaults = schemas.load_range({})
    assert (defaults["from_"], defaults["to"]) == (today, today)
    assert isinstance(year["from_"], date)


def test_batches_too_big_or_too_old_are_refused_whole():
    def event(**extra):
        return {"id": str(uuid.uuid4()), "type": "page_view", "path": "/",
                "occurred_at": datetime.now(timezone.utc).isoformat(), **extra}

    with pytest.raises(ValidationFailed) as raised:
        schemas.load_batch({"session_id": "s-12345678", "events": [event()] * 51})
    assert raised.value.code == "batch_too_large"
    old = (datetime.now(timezone.utc) - timedelta(days=8)).isoformat()
    with pytest.raises(ValidationFailed) as raised:
        schemas.load_batch({"session_id": "s-12345678",
                            "events": [event(), event(occurred_at=old)]})
    assert "events" in raised.value.details["fields"]
    assert len(schemas.load_batch({"session_id": "s-12345678",
                                   "events": [event()]})["events"]) == 1
