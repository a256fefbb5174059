"""/api/analytics…: the staff dashboard's metrics and series, and the storefront's batched
client events (page views, clicks), which anyone may send with a session id.

    GET  /api/analytics/metrics/<name>?from=&to=&limit=&by=   rollups (PostgreSQL), staff
    GET  /api/analytics/series/<name>?start=&stop=&every=     InfluxDB series, staff; 503
                                                              `timeseries_unavailable` when down
    GET  /api/analytics/live                                  the live figures (Redis), staff
    POST /api/analytics/events                                a batch of client events

The analytics service validates every parameter (unknown_metric, invalid_range,
range_too_long, batch_too_large, validation_failed). Client events are limited per session
and per client address (ANALYTICS.events_per_minute, counted in events, in Redis) and a
signed-in sender's user id comes from their token, never from the body.

Every request's latency is recorded here too (an app-wide hook of this blueprint): folded per
route and second in the process (count, sum, max) and pushed to Redis about once a second by a
background greenlet, which the analytics service turns into InfluxDB points; a request never
waits on InfluxDB or Redis for it, and a Redis hiccup only drops samples.

GET /metrics/<name> is served from the answer the analytics service stored in Redis for the
current rollup generation (kit/analytics_live) when there is one: one Redis round trip, no RPC,
no query; the consumer's next committed batch moves the generation.
"""
import logging
import math
import threading
import time

import redis
from flask import Blueprint, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.auth import require_role
from gateway.params import json_object
from gateway.ratelimit import client_ip
from gateway.redis_client import redis_client
from gateway.rpc import rpc
from gateway.shopper import signed_in_or_none
from kit import analytics_live
from kit.errors import TooManyRequests

bp = Blueprint("analytics", __name__, url_prefix="/api/analytics")
log = logging.getLogger(__name__)

STAFF = ("support", "admin")
MAX_EVENTS_BODY = 64 * 1024
WINDOW_S = 60
UNSAMPLED = frozenset({"/health", "/metrics", "/api/openapi.json"})


def actor():
    me = require_role(*STAFF)
    return {"user_id": me.user_id, "role": me.role}


def query():
    return {name: request.args.get(name) for name in request.args}


def cached(kind, name, params):
    """The analytics service's answer as it stored it for the current rollup generation
    (kit/analytics_live): served without an RPC or a query. None → ask the service."""
    try:
        answer = analytics_live.cached_answer(redis_client(), kind, name, params)
    except redis.RedisError:
        return None
    if answer is None:
        return None
    return current_app.response_class(answer, mimetype="application/json")


@bp.get("/metrics/<name>")
def metric(name):
    who, params = actor(), query()
    return cached("metric", name, params) or rpc("analytics").metric(who, name, params)


@bp.get("/series/<name>")
def series(name):
    return rpc("analytics").series(actor(), name, query())


@bp.get("/live")
def live():
    return rpc("analytics").live(actor())


@bp.post("/events")
def client_events():
    if (request.content_length or 0) > MAX_EVENTS_BODY:
        raise RequestEntityTooLarge()
    me = signed_in_or_none()
    body = json_object()
    events = body.get("events")
    _limit(body.get("session_id"), len(events) if isinstance(events, list) else 1)
    body["user_id"] = me.user_id if me else None
    return rpc("analytics").record_client_events(body), 202


def _limit(session_id, count):
    """Counted in events per minute, per session id and per client address."""
    limit = int((current_app.config["AARYA"].get("ANALYTICS") or {}).get("events_per_minute")
                or 0)
    if limit <= 0:
        return
    now = time.time()
    window = int(now // WINDOW_S)
    keys = [f"ratelimit:analytics:ip:{client_ip()}:{window}"]
    if isinstance(session_id, str) and session_id:
        keys.append(f"ratelimit:analytics:session:{session_id[:64]}:{window}")
    try:
        pipe = redis_client().pipeline(transaction=False)
        for key in keys:
            pipe.incrby(key, count)
            pipe.expire(key, WINDOW_S * 2)
        counts = pipe.execute()[::2]
    except redis.RedisError:
        log.warning("analytics event limit skipped: Redis unavailable", exc_info=True)
        return
    if max(counts) > limit:
        raise TooManyRequests("rate_limited", "Too many analytics events; slow down.",
                              {"limit_per_minute": limit,
                               "retry_after_s": math.ceil(WINDOW_S - now % WINDOW_S)})


# ---- request latencies, per route and second ---------------------------------------------------

class LatencyWindows:
    """This process's request latencies folded per route and second (count, sum, max): one
    sample per route-second goes to Redis, not one per request, so the analytics service
    writes a point per route-second whatever the request rate (at 1,000 req/s per-request
    samples cost it a fifth of a core and its PostgreSQL a tenth). Pushed every `every_s`
    from a background greenlet; a request pays a dict update and never waits on Redis. At
    most `cap` route-seconds wait (Redis away), then new ones are dropped."""

    def __init__(self, every_s=1.0, cap=5000):
        self.every_s, self.cap = every_s, cap
        self.windows = {}
        self.flushed_at = time.monotonic()
        self.flushing = False

    def add(self, route, ms):
        key = (route, int(time.time()))
        window = self.windows.get(key)
        if window is not None:
            window[0] += 1
            window[1] += ms
            if ms > window[2]:
                window[2] = ms
        elif len(self.windows) < self.cap:
            self.windows[key] = [1, ms, ms]
        if not self.flushing and time.monotonic() - self.flushed_at >= self.every_s:
            self.flushing = True
            self.flushed_at = time.monotonic()
            # Under gunicorn's gevent worker a Thread is a greenlet; the client is taken here,
            # where the app context is.
            threading.Thread(target=self.flush, args=(redis_client(),), daemon=True).start()

    def flush(self, client):
        windows, self.windows = self.windows, {}
        samples = [analytics_live.latency_sample(route, count, total, peak, second)
                   for (route, second), (count, total, peak) in windows.items()]
        try:
            if samples:
                pipe = client.pipeline(transaction=False)
                pipe.rpush(analytics_live.LATENCY, *samples)
                pipe.ltrim(analytics_live.LATENCY, -analytics_live.LATENCY_CAP, -1)
                pipe.execute()
        except redis.RedisError as exc:
            log.warning("dropped %d latency samples: %s", len(samples), exc)
        finally:
            self.flushing = False


SAMPLES = LatencyWindows()


@bp.before_app_request
def _start_clock():
    g.analytics_started = time.perf_counter()


@bp.after_app_request
def _sample_latency(response):
    started = g.pop("analytics_started", None)
    rule = request.url_rule
    if started is not None and rule is not None and rule.rule not in UNSAMPLED \
            and not rule.rule.startswith(("/ws/", "/sse/")):
        SAMPLES.add(f"{request.method} {rule.rule}", (time.perf_counter() - started) * 1000)
    return response
