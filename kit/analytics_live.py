"""The dashboard's live figures in Redis: written by the analytics service, read by the gateway.

The analytics service SETs these after each committed event (totals from the transaction, not
increments: a replay rewrites the same numbers); /ws/analytics and GET /api/analytics/live read
them as they are, so nothing is recomputed per request. One module so both sides agree on keys.

analytics:live               hash: day, sales_today, orders_today, avg_order_value_today, minute,
                             sales_this_minute, orders_this_minute, currency, version
analytics:top:{board}:{day}  sorted set product_id → views | add_to_carts | purchases that day
analytics:visitors           sorted set visitor (session or user) → last seen (epoch s)
analytics:latency            list of "route|ms|epoch_ms" samples from the gateway, drained by the
                             analytics service into InfluxDB (capped: a stalled drain drops old ones)
online_users                 the users service's set of signed-in users online
"""
import time

LIVE = "analytics:live"
VISITORS = "analytics:visitors"
LATENCY = "analytics:latency"
LATENCY_CAP = 100_000
ONLINE_USERS = "online_users"
VISITOR_WINDOW_S = 300
TEXT_FIELDS = ("day", "minute", "currency")


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
