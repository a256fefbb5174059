"""`product:{id}`: the products service's read cache of a product page, safe against races.

A reader notes the product's generation before it reads the database and stores its copy only
if the generation is still the same (one Lua compare-and-set). Every write bumps the generation
and drops the entry after its commit (inventory.refresh_caches), so a reader that raced a writer
cannot put the old page back. Redis trouble only makes reads slower; it never fails a call.
"""
import json
import logging

import redis

from services.products.inventory import product_cache_key

log = logging.getLogger(__name__)

TTL_S = 600  # a safety net: entries are dropped by writes, not by time

STORE_IF_CURRENT = """
local gen = redis.call('GET', KEYS[2]) or '0'
if gen == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""


def generation_key(product_id):
    return product_cache_key(product_id) + ":gen"


def read(client, product_id):
    """(cached page or None, the generation to store against)."""
    try:
        raw, gen = client.mget(product_cache_key(product_id), generation_key(product_id))
    except redis.RedisError as exc:
        log.warning("product cache read failed: %r", exc)
        return None, None
    return (json.loads(raw) if raw else None), (gen or "0")


def store_if_current(client, product_id, generation, page):
    if generation is None:
        return
    try:
        client.eval(STORE_IF_CURRENT, 2, product_cache_key(product_id),
                    generation_key(product_id), generation,
                    json.dumps(page, separators=(",", ":")), TTL_S)
    except redis.RedisError as exc:
        log.warning("product cache write failed: %r", exc)
