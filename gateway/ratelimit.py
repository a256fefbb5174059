"""Rate limits kept in Redis, so every worker and every gateway replica counts together.

- Requests per client IP: a fixed one-minute window (one INCR+EXPIRE round trip per request,
  which also asks whether the Bearer token's session was revoked: one round trip, not two),
  GATEWAY.rate_limit_per_minute. If Redis is down this limit steps aside (logged): it guards
  capacity, and failing every request would be worse.
- Failed logins: a sliding one-minute log per email and per IP (a sorted set of failure times).
  Once either holds GATEWAY.login_failures_per_minute failures, further attempts get 429 before
  the users service is asked. If Redis is down logins fail closed (503): brute-force protection
  must not vanish silently.
Both answer 429 with Retry-After (seconds until the window lets the caller in again).
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

log = logging.getLogger(__name__)


def client_ip():
    # Behind a proxy, deploy with werkzeug's ProxyFix so remote_addr is the client's address.
    return request.remote_addr or "unknown"


def _gateway_config():
    return current_app.config["AARYA"]["GATEWAY"]


# ---- requests per IP -------------------------------------------------------------------------

def check_request_rate():
    """before_request hook: count this request against its IP's minute; 429 past the limit."""
    limit = int(_gateway_config().get("rate_limit_per_minute") or 0)
    if limit <= 0 or request.path in EXEMPT_PATHS:
        return
    now = time.time()
    key = f"{KEY_PREFIX}ip:{client_ip()}:{int(now // WINDOW_S)}"
    # The access token's revocation check rides in the same round trip (auth.py reads it).
    session_id = auth.session_of_bearer()
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, WINDOW_S * 2)
        if session_id is not None:
            pipe.exists(revoked_session_key(session_id))
        ride = round_trip.add_to(pipe)  # a route's own reads (a cached product) ride along
        count, _, *revoked = ride.take(pipe.execute())
    except redis.RedisError:
        log.warning("rate limit skipped: Redis unavailable", exc_info=True)
        return
    if session_id is not None:
        auth.remember_revocation(session_id, bool(revoked[0]))
    g.rate_limit = (limit, max(0, limit - count))
    if count > limit:
        retry_after = math.ceil(WINDOW_S - now % WINDOW_S)
        raise TooManyRequests("rate_limited", "Too many requests; slow down.",
                              {"limit_per_minute": limit, "retry_after_s": retry_after})


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
