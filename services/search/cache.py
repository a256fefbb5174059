"""The search response cache: `search:{query_hash}` in Redis, dropped by product events.

A cached page carries the generation it was computed under. A product event that changes
results bumps `search:generation` and deletes every key listed in `search:keys`; a page computed
while the event was being applied carries the old generation and is ignored on read, so a race
cannot re-cache stale results. The TTL only bounds memory.
"""
import json

GENERATION = "search:generation"
KEYS = "search:keys"


def key(query_hash):
    return f"search:{query_hash}"


def read(redis, query_hash):
    """(cached page or None, the generation to store a fresh page under)."""
    raw, generation = redis.mget(key(query_hash), GENERATION)
    generation = int(generation or 0)
    if raw:
        entry = json.loads(raw)
        if entry.get("g") == generation:
            return entry["page"], generation
    return None, generation


def store(redis, query_hash, generation, page, ttl_s):
    pipe = redis.pipeline(transaction=False)
    pipe.set(key(query_hash), json.dumps({"g": generation, "page": page}), ex=ttl_s)
    pipe.sadd(KEYS, key(query_hash))
    pipe.expire(KEYS, ttl_s * 2)
    pipe.execute()


def drop_all(redis):
    """Invalidate every cached search (a product event changed what searches return)."""
    redis.incr(GENERATION)
    while True:
        batch = redis.spop(KEYS, 500)
        if not batch:
            return
        redis.unlink(*batch)
