"""InfluxDB points for the dashboard's series, as line protocol (influxdb-client's Point).

Each point's timestamp is the event's time in ms plus a sub-millisecond offset derived from the
event id, so two sales in the same millisecond stay two points, and writing one event's point
twice (a retry after a lost acknowledgement) overwrites it instead of doubling it.
"""
import hashlib
from datetime import datetime

from influxdb_client import Point, WritePrecision

MEASUREMENTS = ("sales", "page_views", "add_to_cart", "conversions", "latency")


def point_time_ns(occurred_at, event_id):
    if isinstance(occurred_at, str):
        occurred_at = datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))
    ms = int(occurred_at.timestamp() * 1000)
    offset = int(hashlib.blake2b(str(event_id).encode(), digest_size=8).hexdigest(), 16) % 1_000_000
    return ms * 1_000_000 + offset


def line(measurement, occurred_at, event_id, fields, tags=None):
    point = Point(measurement).time(point_time_ns(occurred_at, event_id), WritePrecision.NS)
    for key, value in (tags or {}).items():
        if value is not None:
            point = point.tag(key, str(value))
    for key, value in fields.items():
        point = point.field(key, value)
    return point.to_line_protocol()


def sale(event_id, occurred_at, amount, currency):
    return line("sales", occurred_at, event_id, {"amount": int(amount), "orders": 1},
                {"currency": currency})


def page_view(event_id, occurred_at, kind):
    return line("page_views", occurred_at, event_id, {"count": 1}, {"kind": kind})


def add_to_cart(event_id, occurred_at, quantity):
    return line("add_to_cart", occurred_at, event_id, {"quantity": int(quantity), "count": 1})


def conversion(event_id, occurred_at, stage):
    return line("conversions", occurred_at, event_id, {"count": 1}, {"stage": stage})


def latency(event_id, occurred_at, route, ms):
    return line("latency", occurred_at, event_id, {"ms": float(ms)}, {"route": route})
