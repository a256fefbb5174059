"""InfluxDB points for the dashboard's series, as line protocol (influxdb-client's Point).

Each point's timestamp is the event's time in ms plus a sub-millisecond offset derived from the
event id, so two sales in the same millisecond stay two points, and writing one event's point
twice (a retry after a lost acknowledgement) overwrites it instead of doubling it.
"""
import zlib
from datetime import datetime

from influxdb_client import Point, WritePrecision

MEASUREMENTS = ("sales", "page_views", "add_to_cart", "conversions", "latency")


def point_time_ns(occurred_at, event_id):
    if isinstance(occurred_at, str):
        occurred_at = datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))
    ms = int(occurred_at.timestamp() * 1000)
    offset = zlib.crc32(str(event_id).encode()) % 1_000_000
    return ms * 1_000_000 + offset


_ESCAPE_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n", "\t": r"\t",
                             "\r": r"\r"})
_ESCAPE_STRING = str.maketrans({'"': r'\"', "\\": r"\\"})


def _field(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        text = str(value)
        return text[:-2] if text.endswith(".0") else text
    return '"' + str(value).translate(_ESCAPE_STRING) + '"'


def line(measurement, occurred_at, event_id, fields, tags=None):
    """One point as line protocol, formatted here: influxdb-client's Point builder cost ~0.1 ms a
    point, a tenth of the consumer's per-event budget (tests/analytics/test_rules.py checks that
    both spell every kind of point the same)."""
    head = measurement
    for key, value in sorted((tags or {}).items()):
        if value is not None and str(value) != "":
            head += f",{key}={str(value).translate(_ESCAPE_KEY)}"
    body = ",".join(f"{key}={_field(value)}" for key, value in sorted(fields.items()))
    return f"{head} {body} {point_time_ns(occurred_at, event_id)}"


def point_line(measurement, occurred_at, event_id, fields, tags=None):
    """The same point through influxdb-client's Point (the reference `line` must match)."""
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


def latency(event_id, occurred_at, route, count, sum_ms, max_ms):
    """`count` requests of `route` in one gateway worker's second: the series' mean is
    sum(sum_ms) / sum(count), so a busy second weighs what its requests weigh."""
    return line("latency", occurred_at, event_id,
                {"count": int(count), "sum_ms": float(sum_ms), "max_ms": float(max_ms)},
                {"route": route})
