"""The dashboard's live figures in Redis, written after each commit, read by every request.

Values are SET from what the transaction returned (totals, not increments), so a lost update
heals with the next event and a replay rewrites the same numbers: nothing is recomputed per
request and nothing can drift by double counting.

analytics:live                 hash: day, sales_today, orders_today, avg_order_value_today,
                               minute, sales_this_minute, orders_this_minute, currency, version
analytics:top:{board}:{day}    sorted set product_id → views | add_to_carts | purchases that day
analytics:visitors             sorted set visitor (session or user) → last seen (epoch s)
online_users                   the users service's set of signed-in users online
"""
import time

LIVE = "analytics:live"
VISITORS = "analytics:visitors"
ONLINE_USERS = "online_users"
VISITOR_WINDOW_S = 300
TOP_TTL_S = 3 * 86400


def top_key(board, day):
    return f"analytics:top:{board}:{day.isoformat() if hasattr(day, 'isoformat') else day}"


class Live:
    def __init__(self, redis):
        self.redis = redis

    def apply(self, effect):
        if not effect:
            return
        pipe = self.redis.pipeline(transaction=False)
        if effect["kind"] == "sale":
            pipe.hset(LIVE, mapping={k: v for k, v in effect["live"].items()})
            pipe.hincrby(LIVE, "version", 1)
        elif effect["kind"] == "top":
            key = top_key(effect["board"], effect["day"])
            pipe.zadd(key, {str(effect["product_id"]): effect["value"]})
            pipe.expire(key, TOP_TTL_S)
            visitor = effect.get("user_id") or effect.get("session_id")
            if visitor:
                pipe.zadd(VISITORS, {str(visitor): time.time()})
        for key, value in effect.get("tops", ()):
            pipe.zadd(key, value)
            pipe.expire(key, TOP_TTL_S)
        pipe.execute()

    def seen(self, visitor):
        now = time.time()
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(VISITORS, {str(visitor): now})
        pipe.zremrangebyscore(VISITORS, 0, now - 2 * VISITOR_WINDOW_S)
        pipe.execute()

    def snapshot(self):
        pipe = self.redis.pipeline(transaction=False)
        now = time.time()
        pipe.hgetall(LIVE)
        pipe.zcount(VISITORS, now - VISITOR_WINDOW_S, "+inf")
        pipe.scard(ONLINE_USERS)
        live, visitors, online = pipe.execute()
        figures = {k: (int(v) if k not in ("day", "minute", "currency") else v)
                   for k, v in live.items()}
        figures.update(live_visitors=visitors, online_users=online,
                       visitor_window_s=VISITOR_WINDOW_S)
        return figures

    def top(self, board, day, limit):
        rows = self.redis.zrevrange(top_key(board, day), 0, limit - 1, withscores=True)
        return [{"product_id": int(p), board: int(s)} for p, s in rows]
