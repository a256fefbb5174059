"""Rate limits kept in Redis, so every worker and every gateway replica counts together.

- Requests per client IP: a fixed one-minute window, GATEWAY.rate_limit_per_minute.
- Requests per route class and caller: GATEWAY.rate_limits, requests per minute for each class
  (0 or absent turns a class off). The class of a request (route_class):
    auth    POST /api/auth/login|register|refresh, counted per client IP (nobody is signed in yet)
    events  POST /api/analytics/events (on top of ANALYTICS.events_per_minute, which counts events)
    search  anything under /api/search
    writes  any other POST, PUT, PATCH, DELETE
    reads   everything else
  counted per signed-in user (the Bearer token's `sub`, checked locally), else per client IP.
  One class running out never blocks another: a shopper who spent their writes still browses.
- Both counts and the revocation check of the Bearer token's session travel in ONE pipelined
  round trip per request (auth.py reads the revocation answer). If Redis is down these limits
  step aside (logged): they guard capacity, and failing every request would be worse.
- Failed logins: a sliding one-minute log per email and per IP (a sorted set of failure times).
  Once either holds GATEWAY.login_failures_per_minute failures, further attempts get 429 before
  the users service is asked. If Redis is down logins fail closed (503): brute-force protection
  must not vanish silently.
Every limit answers 429 `rate_limited` (or `too_many_failed_logins`) with Retry-After (seconds
until the window lets the caller in again); a class limit names its class in
details.route_class.
"""
import hashlib
import logging
import math
import time
import uuid

import redis
from flask import current_app, g, request

from gateway import auth, round_trip
from gateway.redis_client import redis_client
from kit.errors import TooManyRequests
from kit.tokens import revoked_session_key

WINDOW_S = 60
KEY_PREFIX = "ratelimit:"
# Probes and the API description are never limited: load balancers poll them.
EXEMPT_PATHS = frozenset({"/health", "/api/openapi.json"})
ROUTE_CLASSES = ("auth", "events", "search", "writes", "reads")
AUTH_PATHS = frozenset({"/api/auth/login", "/api/auth/register", "/api/auth/refresh"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

log = logging.getLogger(__name__)


def client_ip():
    # Behind a proxy, deploy with werkzeug's ProxyFix so remote_addr is the client's address.
    return request.remote_addr or "unknown"


def _gateway_config():
    return current_app.config["AARYA"]["GATEWAY"]


def route_class(method, path):
    """Which GATEWAY.rate_limits class a request counts against."""
    if method == "POST" and path in AUTH_PATHS:
        return "auth"
    if method == "POST" and path == "/api/analytics/events":
        return "events"
    if path == "/api/search" or path.startswith("/api/search/"):
        return "search"
    return "writes" if method in WRITE_METHODS else "reads"


def _window(now):
    return int(now // WINDOW_S)


# ---- requests per IP and per route class ---------------------------------------------------

def check_request_rate():
    """before_request hook: count this request against its IP's minute and its route class's
    minute for this caller, in one round trip; 429 past either limit."""
    if request.path in EXEMPT_PATHS:
        return
    config = _gateway_config()
    caller = auth.caller_of_bearer()
    ip = client_ip()
    now = time.time()
    window = _window(now)
    counters = []  # (limit, key, route class or None for the per-IP count)
    ip_limit = int(config.get("rate_limit_per_minute") or 0)
    if ip_limit > 0:
        counters.append((ip_limit, f"{KEY_PREFIX}ip:{ip}:{window}", None))
    cls = route_class(request.method, request.path)
    class_limit = int((config.get("rate_limits") or {}).get(cls) or 0)
    if class_limit > 0:
        who = f"u:{caller[0]}" if caller is not None and cls != "auth" else f"ip:{ip}"
        counters.append((class_limit, f"{KEY_PREFIX}{cls}:{who}:{window}", cls))
    if not counters:
        return  # nothing to count: auth.py asks about revocation itself
    # The access token's revocation check rides in the same round trip (auth.py reads it).
    session_id = caller[1] if caller is not None else None
    try:
        pipe = redis_client().pipeline(transaction=False)
        for _, key, _ in counters:
            pipe.incr(key)
            pipe.expire(key, WINDOW_S * 2)
        if session_id is not None:
            pipe.exists(revoked_session_key(session_id))
        ride = round_trip.add_to(pipe)  # a route's own reads (a cached product) ride along
        results = ride.take(pipe.execute())
    except redis.RedisError:
        log.warning("rate limit skipped: Redis unavailable", exc_info=True)
        return
    if session_id is not None:
        auth.remember_revocation(session_id, bool(results[-1]))
    counts = results[0:2 * len(counters):2]
    # The headers tell the caller about the limit closest to running out.
    g.rate_limit = min(((limit, max(0, limit - count)) for (limit, _, _), count
                        in zip(counters, counts)), key=lambda pair: pair[1])
    for (limit, _, cls), count in zip(counters, counts):
        if count > limit:
            details = {"limit_per_minute": limit,
                       "retry_after_s": math.ceil(WINDOW_S - now % WINDOW_S)}
            if cls is not None:
                details = {"route_class": cls, **details}
            raise TooManyRequests("rate_limited", "Too many requests; slow down.", details)


def add_rate_limit_headers(response):
    if "rate_limit" in g:
        limit, remaining = g.rate_limit
        response.headers["X-RateLimit-Limit"] = str(limit)
        response.headers["X-RateLimit-Remaining"] = str(remaining)
    return response


# ---- failed logins ---------------------------------------------------------------------------

def _email_key(email):
    # Hashed: the limiter needs identity, not the address itself, in Redis.
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}login_failures:email:{digest}"


def _ip_key(ip):
    return f"{KEY_PREFIX}login_failures:ip:{ip}"


def ensure_login_allowed(email, ip):
    """429 if this email or this IP already failed `login_failures_per_minute` times within the
    last minute. Called before the users service is asked."""
    limit = int(_gateway_config()["login_failures_per_minute"])
    now = time.time()
    keys = (_email_key(email), _ip_key(ip))
    pipe = redis_client().pipeline(transaction=False)
    for key in keys:
        pipe.zremrangebyscore(key, 0, now - WINDOW_S)
        pipe.zrange(key, 0, -1, withscores=True)
    results = pipe.execute()
    retry_after = 0.0
    for failures in results[1::2]:
        if len(failures) >= limit:
            # The caller is let in once enough failures age out to drop below the limit.
            oldest_that_must_expire = failures[len(failures) - limit][1]
            retry_after = max(retry_after, oldest_that_must_expire + WINDOW_S - now)
    if retry_after > 0:
        raise TooManyRequests("too_many_failed_logins",
                              "Too many failed sign-in attempts; try again later.",
                              {"retry_after_s": max(1, math.ceil(retry_after))})


def record_login_failure(email, ip):
    now = time.time()
    member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
    pipe = redis_client().pipeline(transaction=False)
    for key in (_email_key(email), _ip_key(ip)):
        pipe.zadd(key, {member: now})
        pipe.expire(key, WINDOW_S + 1)
    pipe.execute()


def forget_login_failures(email):
    """A successful sign-in clears that email's failures (the IP's count stays)."""
    redis_client().delete(_email_key(email))


def init_app(app):
    app.before_request(check_request_rate)
    app.after_request(add_rate_limit_headers)
