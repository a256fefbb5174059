"""The dashboard's live figures in Redis (keys and reader: kit/analytics_live.py), written
after each commit from what the transaction returned.

Values are totals, not increments, so a replay rewrites the same numbers and a lost update heals
with the next event. Two workers may commit in one order and reach Redis in the other: the sales
hash only moves forward (a later day, or more orders the same day; a Lua step decides), and the
top boards use ZADD GT, so a stale total never overwrites a newer one.
"""
import time

from kit import analytics_live as keys

TOP_TTL_S = 3 * 86400

# KEYS[1] analytics:live; ARGV 1 day, 2 orders_today, then field/value pairs
FORWARD_ONLY = """
local day = redis.call('HGET', KEYS[1], 'day')
local orders = tonumber(redis.call('HGET', KEYS[1], 'orders_today') or '-1')
if (not day) or ARGV[1] > day or (ARGV[1] == day and tonumber(ARGV[2]) > orders) then
  redis.call('HSET', KEYS[1], unpack(ARGV, 3))
  redis.call('HINCRBY', KEYS[1], 'version', 1)
  return 1
end
return 0
"""


class Live:
    def __init__(self, redis):
        self.redis = redis
        self._forward = redis.register_script(FORWARD_ONLY)

    def apply(self, effect):
        self.apply_all([effect] if effect else [])

    def apply_all(self, effects, rollups_changed=False):
        """A batch's effects in ONE pipeline (one round trip per batch): sales in order; each
        top board entry once, with its latest total (every effect of a batch for one product
        carries the same total after the flush); the visitors; and, when the rollups moved, a
        new rollup generation so the cached staff answers (keys.ANSWERS_GEN) are recomputed."""
        tops, visitors = {}, []
        pipe = self.redis.pipeline(transaction=False)
        for effect in effects:
            if effect["kind"] == "sale":
                live = effect["live"]
                pairs = []
                for key, value in live.items():
                    pairs += [key, value]
                self._forward(keys=[keys.LIVE], args=[live["day"], live["orders_today"], *pairs],
                              client=pipe)
            if effect.get("purchases"):
                day, totals = effect["purchases"]
                for product_id, total in totals:
                    key = ("purchases", day, product_id)
                    tops[key] = max(total, tops.get(key, total))
            if effect["kind"] == "top":
                tops[(effect["board"], effect["day"], effect["product_id"])] = effect["value"]
                visitors.append(effect.get("user_id") or effect.get("session_id"))
        for (board, day, product_id), total in tops.items():
            key = keys.top_key(board, day)
            pipe.zadd(key, {str(product_id): total}, gt=True)
            pipe.expire(key, TOP_TTL_S)
        self._seen(pipe, visitors)
        if rollups_changed:
            pipe.incr(keys.ANSWERS_GEN)
        if len(pipe):
            pipe.execute()

    def _seen(self, pipe, visitors):
        now = time.time()
        seen = {str(v): now for v in visitors if v}
        if seen:
            pipe.zadd(keys.VISITORS, seen)
            pipe.zremrangebyscore(keys.VISITORS, 0, now - 2 * keys.VISITOR_WINDOW_S)

    def seen(self, *visitors):
        pipe = self.redis.pipeline(transaction=False)
        self._seen(pipe, visitors)
        if len(pipe):
            pipe.execute()

    def snapshot(self):
        return keys.snapshot(self.redis)

    def top(self, board, day, limit):
        rows = self.redis.zrevrange(keys.top_key(board, day), 0, limit - 1, withscores=True)
        return [{"product_id": int(p), board: int(s)} for p, s in rows]
