"""Product views and what is trending: `product_views:{id}` and the `trending_products` ZSET.

Trending is a view count that decays exponentially with a half-life (default 6 hours,
PRODUCTS.trending_half_life_s in the config): a view weighs 1 now, 1/2 one half-life later,
1/4 after two. Rather than decaying every score on a timer, each view adds a weight that
grows instead, w = 2^((t - EPOCH) / half_life), and since every score is inflated by the same
factor at any instant, the order of the ZSET is the order of the decayed counts.

Those weights overflow a double after ~1,000 half-lives (8 months at 6 h), so the ZSET keeps
log2 of the sum, added with log-sum-exp in a Lua script: new = max + log2(1 + 2^(min - max)).
The stored score grows by 1 per half-life forever and never overflows. The current decayed
count of a product is 2^(score - (now - EPOCH) / half_life).

A viewer (user or session) counts once per product per DEDUPE_S towards trending, so one
shopper refreshing a page cannot push it up; every view still lands in the history table,
the `product.viewed` event and the `product_views:{id}` counter.
"""
import math
import time

from services.products import catalog, events
from services.products.models import ProductView

TRENDING_KEY = "trending_products"
EPOCH = 1767225600            # 2026-01-01T00:00:00Z; any fixed instant works
DEFAULT_HALF_LIFE_S = 6 * 3600
DEDUPE_S = 30 * 60
MAX_MEMBERS = 10_000          # the long tail is trimmed so the ZSET stays small

# KEYS: trending zset, views counter[, viewer marker]. ARGV: product id, log2 weight, max
# members, dedupe seconds. Returns the product's total view count.
RECORD_VIEW_SCRIPT = """
local views = redis.call('INCR', KEYS[2])
if KEYS[3] and not redis.call('SET', KEYS[3], 1, 'NX', 'EX', ARGV[4]) then
  return views
end
local x = tonumber(ARGV[2])
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if current then
  local c = tonumber(current)
  local high, low = math.max(c, x), math.min(c, x)
  x = high + math.log(1 + 2 ^ (low - high)) / math.log(2)
end
redis.call('ZADD', KEYS[1], x, ARGV[1])
local size = redis.call('ZCARD', KEYS[1])
if size > tonumber(ARGV[3]) then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, size - tonumber(ARGV[3]) - 1)
end
return views
"""


def log_view(session, outbox, product_id, user_id=None, session_id=None):
    """The view's history row and its product.viewed event (the product must be on sale)."""
    catalog.require_product(session, product_id)
    view = ProductView(product_id=product_id, user_id=user_id, session_id=session_id)
    session.add(view)
    session.flush()
    outbox.add(session, events.PRODUCT_VIEWED, events.product_viewed(view))
    return view


def views_key(product_id):
    return f"product_views:{product_id}"


def viewer_key(product_id, user_id=None, session_id=None):
    if user_id is not None:
        return f"product_views:seen:{product_id}:u:{user_id}"
    if session_id:
        return f"product_views:seen:{product_id}:s:{session_id}"
    return None


def log2_weight(at, half_life_s):
    """log2 of the weight of a view at unix time `at`."""
    return (at - EPOCH) / half_life_s


def decayed_count(score, now, half_life_s):
    """How many views the product has as of `now`, each one decayed by its age."""
    return 2 ** (score - log2_weight(now, half_life_s))


def log2_sum(a, b):
    """log2(2^a + 2^b) without overflow (what the Lua script does)."""
    high, low = max(a, b), min(a, b)
    return high + math.log2(1 + 2 ** (low - high))


def record(redis_client, product_id, user_id=None, session_id=None, at=None,
           half_life_s=DEFAULT_HALF_LIFE_S, key=TRENDING_KEY):
    """Count a view in Redis; returns the product's total view count."""
    at = time.time() if at is None else at
    keys = [key, views_key(product_id)]
    marker = viewer_key(product_id, user_id, session_id)
    if marker:
        keys.append(marker)
    script = redis_client.register_script(RECORD_VIEW_SCRIPT)
    return script(keys=keys, args=[product_id, repr(log2_weight(at, half_life_s)), MAX_MEMBERS,
                                   DEDUPE_S])


def top(redis_client, limit, now=None, half_life_s=DEFAULT_HALF_LIFE_S, key=TRENDING_KEY):
    """[(product_id, decayed count, total views)], hottest first."""
    now = time.time() if now is None else now
    ranked = redis_client.zrevrange(key, 0, limit - 1, withscores=True)
    if not ranked:
        return []
    totals = redis_client.mget([views_key(int(member)) for member, _ in ranked])
    return [(int(member), decayed_count(score, now, half_life_s), int(total or 0))
            for (member, score), total in zip(ranked, totals)]
