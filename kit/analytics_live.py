"""The dashboard's live figures in Redis: written by the analytics service, read by the gateway.

The analytics service SETs these after each committed event (totals from the transaction, not
increments: a replay rewrites the same numbers); /ws/analytics and GET /api/analytics/live read
them as they are, so nothing is recomputed per request. One module so both sides agree on keys.

analytics:live               hash: day, sales_today, orders_today, avg_order_value_today, minute,
                             sales_this_minute, orders_this_minute, currency, version
analytics:top:{board}:{day}  sorted set product_id → views | add_to_carts | purchases that day
analytics:visitors           sorted set visitor (session or user) → last seen (epoch s)
analytics:latency            list of "route|count|sum_ms|max_ms|epoch_ms" samples from the gateway,
                             one per worker, route and second; drained by the analytics service
                             into InfluxDB (capped: a stalled drain drops old ones)
online_users                 the users service's set of signed-in users online
analytics:answers:gen        the rollups' generation: INCRed by the consumer after every batch it
                             commits (and by the InfluxDB flusher when it writes a late point)
analytics:answer:{kind}:{name}:{day}:{hash}:{gen}
                             a staff answer (JSON) as the analytics service computed it at that
                             generation; the gateway serves it without an RPC while the
                             generation stands, so a dashboard poll never recomputes it
"""
import hashlib
import json
import time

LIVE = "analytics:live"
VISITORS = "analytics:visitors"
LATENCY = "analytics:latency"
LATENCY_CAP = 100_000
ONLINE_USERS = "online_users"
VISITOR_WINDOW_S = 300
TEXT_FIELDS = ("day", "minute", "currency")
ANSWERS_GEN = "analytics:answers:gen"
# InfluxDB series: the closed windows of an answer (ending LATE_S or more before it was asked)
# are kept under SERIES_GEN, which the flusher INCRs only when it writes a point older than
# LATE_S (an outage's backlog); points of the last LATE_S only ever land in the open windows.
SERIES_GEN = "analytics:series:gen"
SERIES_TTL_S = 86400
LATE_S = 120
# The open windows (the last LATE_S, and whatever is still filling) are kept per measurement
# under SERIES_OPEN_GEN + measurement, which the flusher INCRs after every batch that wrote a
# point of that measurement: between two flushes the store cannot answer differently.
SERIES_OPEN_GEN = "analytics:series:open-gen:"
SERIES_OPEN_TTL_S = 600
ANSWER_TTL_S = 600

# KEYS[1] the generation; ARGV[1] the answer's key without it → the answer or nil (one trip)
CACHED_ANSWER = """
local gen = redis.call('GET', KEYS[1]) or '0'
return redis.call('GET', ARGV[1] .. ':' .. gen)
"""


def answer_key(kind, name, params):
    """The key (less its generation) of one staff answer: the query's raw parameters, sorted,
    and today's UTC date (the defaults of a range are relative to it)."""
    canonical = "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
    digest = hashlib.sha1(canonical.encode()).hexdigest()[:20]
    return f"analytics:answer:{kind}:{name}:{time.strftime('%Y-%m-%d', time.gmtime())}:{digest}"


def cached_answer(redis, kind, name, params):
    """The stored JSON of this answer at the current generation, or None."""
    return redis.register_script(CACHED_ANSWER)(keys=[ANSWERS_GEN],
                                                args=[answer_key(kind, name, params)])


def generation(redis):
    """Read BEFORE computing an answer: a batch committed meanwhile bumps it past what the
    answer is stored under, so a stale answer is never served under the new generation."""
    return redis.get(ANSWERS_GEN) or "0"


def store_answer(redis, kind, name, params, gen, answer):
    redis.set(f"{answer_key(kind, name, params)}:{gen}",
              json.dumps(answer, separators=(",", ":")), ex=ANSWER_TTL_S)


def latency_sample(route, count, sum_ms, max_ms, second):
    """One gateway worker's requests of `route` in the epoch second `second`, as pushed."""
    return f"{route}|{count}|{sum_ms:.3f}|{max_ms:.3f}|{int(second) * 1000}"


def parse_latency_sample(sample):
    """(route, count, sum_ms, max_ms, epoch_ms) of a sample; the older one-request form
    "route|ms|epoch_ms" (a gateway not yet upgraded) is a window of one. ValueError if neither."""
    parts = sample.rsplit("|", 4)
    if len(parts) == 5:
        route, count, sum_ms, max_ms, at_ms = parts
        count = int(count)
        if count < 1:
            raise ValueError(f"latency window of {count} requests")
        return route, count, float(sum_ms), float(max_ms), int(at_ms)
    route, ms, at_ms = sample.rsplit("|", 2)
    return route, 1, float(ms), float(ms), int(at_ms)


def top_key(board, day):
    return f"analytics:top:{board}:{day.isoformat() if hasattr(day, 'isoformat') else day}"


def snapshot(redis):
    """The live figures as one dict (integers but for day, minute and currency)."""
    now = time.time()
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(LIVE)
    pipe.zcount(VISITORS, now - VISITOR_WINDOW_S, "+inf")
    pipe.scard(ONLINE_USERS)
    live, visitors, online = pipe.execute()
    figures = {"day": None, "sales_today": 0, "orders_today": 0, "avg_order_value_today": 0,
               "minute": None, "sales_this_minute": 0, "orders_this_minute": 0,
               "currency": "INR", "version": 0}
    for key, value in live.items():
        key = key.decode() if isinstance(key, bytes) else key
        value = value.decode() if isinstance(value, bytes) else value
        figures[key] = value if key in TEXT_FIELDS else int(value)
    today = time.strftime("%Y-%m-%d", time.gmtime(now))
    if figures["day"] != today:          # no sale yet today: yesterday's totals are not today's
        figures.update(day=today, sales_today=0, orders_today=0, avg_order_value_today=0)
    this_minute = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(now))
    if not str(figures["minute"] or "").startswith(this_minute):
        figures.update(sales_this_minute=0, orders_this_minute=0)
    figures.update(live_visitors=visitors, online_users=online,
                   visitor_window_s=VISITOR_WINDOW_S)
    return figures
