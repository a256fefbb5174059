"""What the analytics RPCs accept: client event batches and metric queries."""
from datetime import date, datetime, timedelta, timezone

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates

from kit.errors import ValidationFailed
from kit.schemas import load

CLIENT_EVENT_TYPES = ("page_view", "click", "product_impression", "wishlist_add", "share",
                      "filter", "scroll")
MAX_BATCH = 50
MAX_RANGE_DAYS = 366
CLOCK_SKEW = timedelta(minutes=5)
OLDEST_CLIENT_EVENT = timedelta(days=7)


class ClientEventSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)     # made by the client: a retried batch counts once
    type = fields.String(required=True, validate=validate.OneOf(CLIENT_EVENT_TYPES))
    path = fields.String(required=True, validate=validate.Length(min=1, max=500))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=None)
    product_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**63 - 1))
    referrer = fields.String(load_default=None, validate=validate.Length(max=500))
    data = fields.Dict(keys=fields.String(validate=validate.Length(max=40)), load_default=dict,
                       validate=validate.Length(max=20))

    @validates("occurred_at")
    def recent(self, value, **_):
        now = datetime.now(timezone.utc)
        if value > now + CLOCK_SKEW or value < now - OLDEST_CLIENT_EVENT:
            raise ValidationError("Must be within the last 7 days.")


class ClientBatchSchema(Schema):
    class Meta:
        unknown = RAISE

    session_id = fields.String(required=True, validate=[
        validate.Length(min=8, max=64), validate.Regexp(r"^[A-Za-z0-9_.:-]+$")])
    user_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    events = fields.List(fields.Nested(ClientEventSchema), required=True,
                         validate=validate.Length(min=1, max=MAX_BATCH))


class RangeSchema(Schema):
    """[from, to] in whole UTC days, at most 366 of them; both default to today."""
    class Meta:
        unknown = RAISE

    from_ = fields.Date(data_key="from", load_default=None)
    to = fields.Date(load_default=None)
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    by = fields.String(load_default="views",
                       validate=validate.OneOf(("views", "add_to_carts", "purchases")))
    interval = fields.String(load_default="day", validate=validate.OneOf(("day", "hour")))

    @post_load
    def defaults(self, data, **_):
        today = datetime.now(timezone.utc).date()
        data["from_"] = data["from_"] or data["to"] or today
        data["to"] = data["to"] or max(data["from_"], today)
        return data


class SeriesSchema(Schema):
    """A time series from InfluxDB: [start, stop) at most 366 days, in windows of `every`."""
    class Meta:
        unknown = RAISE

    start = fields.AwareDateTime(required=True, default_timezone=None)
    stop = fields.AwareDateTime(load_default=None, default_timezone=None)
    every = fields.String(load_default="1h", validate=validate.OneOf(("1m", "5m", "1h", "1d")))

    @post_load
    def defaults(self, data, **_):
        data["stop"] = data["stop"] or datetime.now(timezone.utc) + timedelta(seconds=1)
        return data


def check_range(first, last, span):
    """A range must run forwards and cover at most MAX_RANGE_DAYS: stable codes for each."""
    if last < first:
        raise ValidationFailed("invalid_range", "The range ends before it starts.",
                               {"fields": {"to": ["Must not be before `from`."]}})
    if span > timedelta(days=MAX_RANGE_DAYS):
        raise ValidationFailed("range_too_long", f"At most {MAX_RANGE_DAYS} days at a time.",
                               {"max_days": MAX_RANGE_DAYS})


def load_range(data):
    args = load(RangeSchema(), data)
    check_range(args["from_"], args["to"], args["to"] - args["from_"] + timedelta(days=1))
    return args


def load_series(data):
    args = load(SeriesSchema(), data)
    if args["stop"] == args["start"]:
        raise ValidationFailed("invalid_range", "The range is empty.",
                               {"fields": {"stop": ["Must be after `start`."]}})
    check_range(args["start"], args["stop"], args["stop"] - args["start"])
    return args


def load_batch(data):
    """A client batch, validated whole; more than MAX_BATCH events is `batch_too_large`."""
    if isinstance(data, dict) and isinstance(data.get("events"), list) \
            and len(data["events"]) > MAX_BATCH:
        raise ValidationFailed("batch_too_large", f"At most {MAX_BATCH} events per batch.",
                               {"max_events": MAX_BATCH, "events": len(data["events"])})
    return load(ClientBatchSchema(), data)


def days(first: date, last: date):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
