"""OpenAPI part of /api/analytics… (gateway/routes/analytics.py): staff metrics from the
rollups, InfluxDB series, the live figures, and the storefront's batched client events.

GET /api/analytics/metrics/sales_by_day?from=2026-11-01&to=2026-11-30
  {"metric": "sales_by_day", "from", "to", "currency": "INR", "total_sales", "order_count",
   "days": [{"date", "total_sales", "order_count", "avg_order_value", "refunded_total"}]}
GET /api/analytics/series/sales?start=2026-12-01T00:00:00Z&every=1h
  {"metric": "sales", "every": "1h", "start", "stop", "points": [{"time", "value"}]}
POST /api/analytics/events
  {"session_id": "s-…", "events": [{"id": "uuid", "type": "page_view", "path": "/p/kurta",
   "occurred_at": "2026-12-03T10:00:00Z", "product_id": 7}]}  → 202 {"accepted", "duplicates"}
"""
from gateway.openapi import DATETIME, _query, operation, optional_auth

TAGS = ["analytics"]

METRICS = ["sales_today", "sales_by_day", "sales_by_hour", "average_order_value", "funnel",
           "top_products", "cart_abandonment", "search_terms_without_results"]
SERIES = ["sales", "orders", "page_views", "add_to_cart", "conversions", "latency_ms"]
CLIENT_EVENT_TYPES = ["page_view", "click", "product_impression", "wishlist_add", "share",
                      "filter", "scroll"]

NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"},
        "description": "Unknown names are 404 `unknown_metric`."}
RANGE = [
    _query("from", {"type": "string", "format": "date"}, "First UTC day (default today)."),
    _query("to", {"type": "string", "format": "date"},
           "Last UTC day, inclusive; before `from` is 422 `invalid_range`, more than 366 days "
           "422 `range_too_long`."),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}),
    _query("by", {"type": "string", "enum": ["views", "add_to_carts", "purchases"],
                  "default": "views"}, "top_products: the board to rank by."),
]
SERIES_RANGE = [
    _query("start", DATETIME, "Required, with a time zone."),
    _query("stop", DATETIME, "Default now; at most 366 days after start."),
    _query("every", {"type": "string", "enum": ["1m", "5m", "1h", "1d"], "default": "1h"}),
]

SCHEMAS = {
    "AnalyticsMetric": {
        "type": "object", "required": ["metric"],
        "description": "`metric` plus the metric's own fields (see the module docstring of "
                       "services/analytics/metrics.py); money in minor units.",
        "properties": {"metric": {"type": "string", "enum": METRICS},
                       "from": {"type": "string", "format": "date"},
                       "to": {"type": "string", "format": "date"}},
        "additionalProperties": True,
    },
    "AnalyticsSeries": {
        "type": "object", "required": ["metric", "every", "start", "stop", "points"],
        "properties": {
            "metric": {"type": "string", "enum": SERIES},
            "every": {"type": "string"}, "start": DATETIME, "stop": DATETIME,
            "points": {"type": "array", "items": {
                "type": "object", "required": ["time", "value"],
                "properties": {"time": DATETIME, "value": {"type": "number"}}}},
        },
    },
    "AnalyticsLive": {
        "type": "object",
        "required": ["day", "sales_today", "orders_today", "live_visitors", "top_products"],
        "properties": {
            "day": {"type": "string", "format": "date"},
            "sales_today": {"type": "integer"}, "orders_today": {"type": "integer"},
            "avg_order_value_today": {"type": "integer"},
            "sales_this_minute": {"type": "integer"}, "orders_this_minute": {"type": "integer"},
            "currency": {"type": "string"},
            "live_visitors": {"type": "integer",
                              "description": "Sessions or users seen in the last 5 minutes."},
            "online_users": {"type": "integer"},
            "top_products": {"type": "object", "additionalProperties": {"type": "array"}},
            "timeseries": {"type": "object", "properties": {
                "pending": {"type": "integer", "description": "Points waiting for InfluxDB."},
                "write_failures": {"type": "integer"}}},
        },
    },
    "ClientEventBatch": {
        "type": "object", "required": ["session_id", "events"],
        "properties": {
            "session_id": {"type": "string", "minLength": 8, "maxLength": 64,
                           "pattern": "^[A-Za-z0-9_.:-]+$"},
            "events": {"type": "array", "minItems": 1, "maxItems": 50,
                       "description": "More than 50 is 422 `batch_too_large`; nothing is "
                                      "written unless every event is valid.",
                       "items": {
                           "type": "object", "required": ["id", "type", "path", "occurred_at"],
                           "properties": {
                               "id": {"type": "string", "format": "uuid",
                                      "description": "Made by the client: a resent batch "
                                                     "counts once."},
                               "type": {"type": "string", "enum": CLIENT_EVENT_TYPES},
                               "path": {"type": "string", "maxLength": 500},
                               "occurred_at": {**DATETIME,
                                               "description": "Within the last 7 days."},
                               "product_id": {"type": "integer", "minimum": 1},
                               "referrer": {"type": "string", "maxLength": 500},
                               "data": {"type": "object", "maxProperties": 20}}}},
        },
    },
    "ClientEventsAccepted": {
        "type": "object", "required": ["accepted", "duplicates"],
        "properties": {"accepted": {"type": "integer"}, "duplicates": {"type": "integer"}},
    },
}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


PATHS = {
    "/api/analytics/metrics/{name}": {"get": operation(
        "Read an analytics metric", "analytics", "200", _ref("AnalyticsMetric"), "403", "404",
        "422", params=[NAME, *RANGE])},
    "/api/analytics/series/{name}": {"get": operation(
        "Read an analytics time series", "analytics", "200", _ref("AnalyticsSeries"), "403",
        "404", "422", params=[NAME, *SERIES_RANGE])},
    "/api/analytics/live": {"get": operation(
        "Read the live analytics figures", "analytics", "200", _ref("AnalyticsLive"), "403")},
    "/api/analytics/events": {"post": optional_auth(operation(
        "Send client analytics events", "analytics", "202", _ref("ClientEventsAccepted"),
        body="ClientEventBatch"))},
}
