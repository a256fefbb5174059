"""The gateway's response cache for catalog reads, dropped by product events, never by a timer.

A cached read costs one Redis round trip and no RPC; the body comes back byte for byte with its
ETag (a hash of the body), and `If-None-Match` gets a 304. Keys, in the env's Redis db:

  cache:product:{id}                  hash {etag, body}: GET /api/products/{id}
  cache:product:{id}:gen              counter, bumped by the listener on each event about {id}
  cache:listing:gen                   counter, bumped on each event that changes the catalog
  cache:listing:{kind}:{digest}       hash {etag, body, gen}: listings (kind "products", digest of
                                      the normalised filters), trending, categories, brands
  cache:product_events:last_id        the last product_events entry a listener has handled

Invalidation: every gateway worker follows `product_events` through its one stream reader
(gateway/realtime/tail.py, shared with the real-time hub: one XREAD loop per worker) with
`CacheInvalidation`. For each event except product.viewed it bumps the product's generation and deletes
its entry, and bumps the listing generation, a batch of entries in one MULTI. A listing keeps
the generation it was made under beside its body and counts as a hit only while that is the
current one, so one INCR retires every listing at once (O(1)), and the lookup reads the entry
and the generation together (one round trip, riding the rate limiter's). TTLs are only a safety net (PRODUCT_TTL_S). Every worker sees every event, so a
counter grows by the number of workers per event (only equality matters to the cache; ops
and tests can read "every worker handled it" from that).

Races: a read that misses notes the generation first (same round trip as the lookup), asks
the service, then writes with a Lua compare-and-set that refuses if the generation moved. An
event landing between the service's answer and the write therefore leaves no stale entry.
The follower resumes from `cache:product_events:last_id` (shared by every worker) rather than
from `$` whenever one exists, so events that arrived while no gateway ran are not missed; a
reader that loses Redis picks up again from the last entry it handled.

Redis trouble never fails a read: the lookup counts as a miss and the write is skipped.
"""
import hashlib
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

import redis
from flask import Response, request

from gateway import round_trip
from gateway.realtime.tail import Follower
from gateway.redis_client import redis_client

log = logging.getLogger(__name__)

EXTENSION = "aarya.catalog_cache"
STREAM = "product_events"
LISTING_GEN_KEY = "cache:listing:gen"
LAST_ID_KEY = "cache:product_events:last_id"

PRODUCT_TTL_S = 600       # a safety net: entries go when their product's event arrives
GEN_TTL_S = 86_400        # far longer than any read in flight (see `store`)
# Events that do not change what a product read shows; anything else about a product drops it.
HARMLESS_EVENTS = frozenset({"product.viewed"})


# KEYS: the entry, the generation counter it depends on. ARGV: the generation read before the
# service was asked ('' when unset), etag, body, ttl. Writes only if no event bumped it since.
STORE_IF_UNCHANGED = """
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'etag', ARGV[2], 'body', ARGV[3], 'gen', ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
"""


def product_key(product_id):
    return f"cache:product:{product_id}"


def product_gen_key(product_id):
    return f"cache:product:{product_id}:gen"


def listing_key(kind, params):
    query = urlencode(sorted((name, str(value)) for name, value in params.items()))
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    return f"cache:listing:{kind}:{digest}"


def encode(payload):
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def etag_of(body):
    return hashlib.sha256(body.encode()).hexdigest()[:32]


# ---- reading and writing -------------------------------------------------------------------

@dataclass
class Slot:
    """Where one response is cached, and the generation it was read under."""
    key: str
    gen_key: str
    gen: str
    ttl_s: int


@dataclass
class Lookup:
    slot: Slot | None          # None: Redis failed, do not cache this time
    etag: str | None = None
    body: str | None = None


@round_trip.rides_with("catalog.get_product")
def _product_lookup(pipe, view_args):
    """HMGET the entry and GET its generation in the request's one round trip (round_trip.py)."""
    product_id = view_args.get("product_id")
    pipe.hmget(product_key(product_id), "etag", "body")
    pipe.get(product_gen_key(product_id))
    return lambda replies: (product_id, replies[0][0], replies[0][1], replies[1] or "")


def lookup_product(product_id, bypass=False):
    """The cached product read, and the generation to write under if it was missing.

    Usually already read in the rate limiter's round trip (entry and generation together, so
    a miss still notes the generation before the service is asked, which is all the
    compare-and-set in `store` needs). Else a hit is one HMGET, and a miss reads the
    generation next."""
    slot = Slot(product_key(product_id), product_gen_key(product_id), "", PRODUCT_TTL_S)
    ridden = round_trip.answer()
    if ridden is not None and ridden[0] == product_id:
        _, etag, body, slot.gen = ridden
        if not bypass and etag and body is not None:
            return Lookup(slot, etag, body)
        return Lookup(slot)
    try:
        client = redis_client()
        if not bypass:
            etag, body = client.hmget(slot.key, "etag", "body")
            if etag and body is not None:
                return Lookup(slot, etag, body)
        slot.gen = client.get(slot.gen_key) or ""
    except redis.RedisError:
        log.warning("response cache unavailable; reading product %s from the service",
                    product_id, exc_info=True)
        return Lookup(None)
    return Lookup(slot)


def queue_listing_reads(pipe, kind, params):
    """Add a listing's entry (etag, body, the generation it was made under) and the current
    listing generation to `pipe`; returns what turns their replies into a ListingRead."""
    key = listing_key(kind, params)
    pipe.hmget(key, "etag", "body", "gen")
    pipe.get(LISTING_GEN_KEY)
    return lambda replies: (key, *replies[0], replies[1] or "")


def lookup_listing(kind, params, ttl_s, bypass=False):
    """A cached listing-like read: a hit while its stored generation is the current one.
    Usually read in the rate limiter's round trip (the riders in routes/catalog.py), else in
    one pipeline of its own."""
    key = listing_key(kind, params)
    ridden = round_trip.answer()
    if ridden is None or ridden[0] != key:
        try:
            pipe = redis_client().pipeline(transaction=False)
            ridden = queue_listing_reads(pipe, kind, params)(pipe.execute())
        except redis.RedisError:
            log.warning("response cache unavailable; reading %s from the service", kind,
                        exc_info=True)
            return Lookup(None)
    _, etag, body, made_at, gen = ridden
    slot = Slot(key, LISTING_GEN_KEY, gen, ttl_s)
    if bypass or made_at != gen:
        return Lookup(slot)
    return Lookup(slot, etag, body)


def store(slot, etag, body):
    """Cache a response unless an event moved its generation since the lookup (then the body
    may predate the change it announced). True if written."""
    try:
        return bool(_store_if_unchanged()(keys=[slot.key, slot.gen_key],
                                          args=[slot.gen, etag, body, slot.ttl_s]))
    except redis.RedisError:
        log.warning("response cache write skipped", exc_info=True)
        return False


def respond(lookup, produce, bypass=False):
    """The JSON response for a cacheable GET: from the cache if there, else from `produce()`
    (an RPC), cached on the way out. 304 when If-None-Match names the body's ETag."""
    if lookup.body is not None and lookup.etag:
        body, etag, state = lookup.body, lookup.etag, "hit"
    else:
        body = encode(produce())
        etag, state = etag_of(body), ("bypass" if bypass else "miss")
        if lookup.slot is not None:
            store(lookup.slot, etag, body)
    headers = {"ETag": f'"{etag}"',
               # Shared by every shopper, but always revalidated: stock and prices move.
               "Cache-Control": "no-cache",
               "X-Cache": state}
    if "If-None-Match" in request.headers and request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    return Response(body, mimetype="application/json", headers=headers)


def bypass_requested():
    """`Cache-Control: no-cache` (or `Pragma: no-cache`) on the request skips the cache read."""
    asked = request.headers.get("Cache-Control", "") + "," + request.headers.get("Pragma", "")
    return any(part.strip().lower() == "no-cache" for part in asked.split(","))


_store_script = None  # (client, Script): the script object is bound to this process's client


def _store_if_unchanged():
    global _store_script
    client = redis_client()
    if _store_script is None or _store_script[0] is not client:
        _store_script = (client, client.register_script(STORE_IF_UNCHANGED))
    return _store_script[1]


# ---- invalidation --------------------------------------------------------------------------

def _id_tuple(entry_id):
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def products_changed(entries):
    """({product id: events about it}, events that change listings) for a batch of entries."""
    per_product, changes = Counter(), 0
    for _, fields in entries:
        if fields.get("type") in HARMLESS_EVENTS:
            continue
        changes += 1
        try:
            product_id = json.loads(fields.get("data") or "{}").get("product_id")
        except (ValueError, AttributeError):
            continue
        if isinstance(product_id, int) and not isinstance(product_id, bool):
            per_product[product_id] += 1
    return per_product, changes


def invalidate(client, per_product, changes, last_id=None):
    """Bump each product's generation (by its number of events, so a generation counts the
    events handled), THEN drop its entry (a writer that read the old generation must find it
    moved), and retire the listings — one MULTI."""
    pipe = client.pipeline(transaction=True)
    for product_id, events in sorted(per_product.items()):
        pipe.incrby(product_gen_key(product_id), events)
        pipe.expire(product_gen_key(product_id), GEN_TTL_S)
        pipe.delete(product_key(product_id))
    if changes:
        pipe.incrby(LISTING_GEN_KEY, changes)
    if last_id:
        pipe.set(LAST_ID_KEY, last_id)
    pipe.execute()


def forget_everything(client):
    """After a gap in the stream (entries trimmed unread): drop every product entry and retire
    the listings. SCAN, never KEYS; this runs only on that rare path."""
    for key in client.scan_iter(match="cache:product:*", count=1000):
        if not key.endswith(":gen"):
            pipe = client.pipeline(transaction=True)
            pipe.incr(f"{key}:gen")
            pipe.expire(f"{key}:gen", GEN_TTL_S)
            pipe.delete(key)
            pipe.execute()
    client.incr(LISTING_GEN_KEY)


class CacheInvalidation(Follower):
    """The cache's follower of the worker's one stream reader (gateway/realtime/tail.py):
    product_events from the shared last handled id, dropping what each batch changed."""

    streams = (STREAM,)

    def __init__(self):
        self.positions = None
        self.handled = 0

    @property
    def last_id(self):
        return (self.positions or {}).get(STREAM)

    def start(self, client):
        self.positions = {STREAM: start_id(client)}
        log.info("response cache listening on %s from %s (pid %s)", STREAM, self.last_id,
                 os.getpid())

    def handle(self, client, stream, entries):
        per_product, changes = products_changed(entries)
        newest = entries[-1][0]
        invalidate(client, per_product, changes, last_id=newest)
        self.positions[STREAM] = newest
        self.handled += len(entries)


def start_id(client):
    """Where to read from: the shared last handled id if there is one (catching up with what
    arrived while no gateway listened), else the stream's current end."""
    shared = client.get(LAST_ID_KEY)
    if shared:
        first = client.xrange(STREAM, count=1)
        if first and _id_tuple(first[0][0]) > _id_tuple(shared):
            length = client.xlen(STREAM)
            log.warning("product_events was trimmed past %s (now %d entries from %s); "
                        "dropping the whole response cache", shared, length, first[0][0])
            forget_everything(client)
        return shared
    newest = client.xrevrange(STREAM, count=1)
    return newest[0][0] if newest else "0-0"


def init_app(app, config):
    """Follow product_events through this worker's one stream reader (the real-time layer's;
    it starts in the gunicorn worker, after gevent patched it)."""
    from gateway.realtime import EXTENSION as REALTIME

    follower = CacheInvalidation()
    app.extensions[EXTENSION] = follower
    app.extensions[REALTIME].reader.follow(follower)
