"""The worker's one stream reader: one greenlet, one XREAD BLOCK loop, several followers.

Every gateway worker reads the streams once, for everyone who needs them (issue 15 item 4b):
  - `StreamTail`, the real-time hub's feed: every stream, from the streams' current ends;
  - the response cache's invalidation (catalog_cache.CacheInvalidation): product_events, from
    the position stored in Redis (so events that came while no gateway ran are not missed).
Each follower keeps its own positions; the reader asks XREAD for each stream from the oldest
position any follower has in it, and hands each follower only the entries past its own. A
follower whose batch failed on Redis gets the same entries again after the reconnect; the
others do not (their positions moved). Reconnecting goes through kit.retry.run_forever.

Not a consumer group: every gateway process must see every event, since the clients an event
is for may be connected to any of them. The tail starts at the streams' current ends (their
newest entry ids, read once with XREVRANGE — passing `$` again on every call would lose entries
added between two calls) and then always continues from the last entry it handed on, so a
Redis outage delays events but loses none that the stream still holds.

`position(stream)` is the id of the newest entry already handed to the hub. Handing an entry on
and moving the position happen without yielding (the tail yields only between entries, every
few, after flushing what the hub wrote), so a client added to the hub "at position P" receives
exactly the entries after P — the SSE replay fills in up to P from XRANGE. The tail runs before
any other follower in each round, so a follower that waits on Redis never delays the clients.
"""
import logging
import time

import gevent
import redis
from gevent.event import Event

from gateway.realtime.messages import ZERO_ID, parse_entry_id
from kit.retry import run_forever

log = logging.getLogger(__name__)


class Follower:
    """What the reader needs of a follower."""

    streams = ()
    positions = None      # {stream: last entry id handled}, None until `start` ran

    def start(self, client):
        """Set `positions` (may ask Redis; may raise redis.RedisError)."""
        raise NotImplementedError

    def handle(self, client, stream, entries):
        """New entries of one stream (past `positions[stream]`); move `positions[stream]`."""
        raise NotImplementedError


class StreamTail(Follower):
    """The hub's feed: every stream from its end; `on_entry` must not yield."""

    def __init__(self, streams, on_entry, on_flush=None, yield_every=1):
        self.streams = tuple(streams)
        self.on_entry = on_entry          # (stream, entry_id, fields) -> None
        self.on_flush = on_flush or (lambda: None)   # write what on_entry queued; no yield
        self.yield_every = max(1, int(yield_every))
        self.positions = None
        self.ready = Event()
        self.entries_seen = 0
        self.last_entry_at = None

    def wait_ready(self, timeout):
        return self.ready.wait(timeout)

    def position(self, stream):
        return self.positions.get(stream, ZERO_ID)

    def start(self, client):
        pipe = client.pipeline(transaction=False)
        for stream in self.streams:
            pipe.xrevrange(stream, "+", "-", count=1)
        self.positions = {stream: (newest[0][0] if newest else ZERO_ID)
                          for stream, newest in zip(self.streams, pipe.execute())}
        self.ready.set()
        log.info("tailing %d streams from their ends", len(self.streams))

    def handle(self, client, stream, entries):
        for entry_id, fields in entries:
            try:
                self.on_entry(stream, entry_id, fields)
            except Exception:  # one bad entry must not stop the feed for everyone
                log.exception("stream tail: could not dispatch %s %s", stream, entry_id)
            self.positions[stream] = entry_id
            self.entries_seen += 1
            if self.entries_seen % self.yield_every == 0:
                # Let the rest of the worker run between a burst's entries; what the hub
                # pushed goes out first, so no buffer fills while we sleep.
                self.on_flush()
                gevent.sleep(0)
        self.on_flush()
        self.last_entry_at = time.time()


class StreamReader:
    """One greenlet per worker reading every follower's streams with one XREAD."""

    def __init__(self, redis_uri, block_ms=5000, batch=500):
        self.redis_uri = redis_uri
        self.block_ms = int(block_ms)
        self.batch = int(batch)
        self.followers = []
        self._client = None
        self._greenlet = None
        self._stopping = False

    def follow(self, follower):
        """Add a follower (before `start`, or it joins at the next round)."""
        self.followers.append(follower)
        return follower

    def start(self):
        if self._greenlet is None or self._greenlet.dead:
            self._stopping = False
            self._greenlet = gevent.spawn(run_forever, self._step, name="gateway stream reader",
                                          stopped=lambda: self._stopping, sleep=gevent.sleep,
                                          start=0.2, cap=5.0, retry_on=(redis.RedisError,),
                                          on_error=self._lost_redis, quiet=(redis.RedisError,))
            self._greenlet.name = "gateway-stream-reader"

    def stop(self):
        self._stopping = True
        if self._greenlet is not None:
            self._greenlet.kill(block=False)

    def _connect(self):
        # BLOCK must end before the socket times out (STACK-FACTS: redis-py's 5 s default).
        return redis.Redis.from_url(self.redis_uri, decode_responses=True,
                                    socket_timeout=self.block_ms / 1000.0 + 10,
                                    socket_connect_timeout=5, health_check_interval=30)

    def _lost_redis(self, exc):
        if self._client is not None:
            self._client.close()
        self._client = None
        return False

    def _step(self):
        """One round: connect if needed, start new followers, one XREAD, hand entries on."""
        if self._client is None:
            self._client = self._connect()
        client = self._client
        followers = list(self.followers)
        for follower in followers:
            if follower.positions is None:
                follower.start(client)
        reply = client.xread(self._from(followers), count=self.batch, block=self.block_ms)
        for stream, entries in reply or ():
            for follower in followers:
                if stream not in follower.streams:
                    continue
                after = parse_entry_id(follower.positions.get(stream, ZERO_ID))
                new = [e for e in entries if parse_entry_id(e[0]) > after]
                if not new:
                    continue
                try:
                    follower.handle(client, stream, new)
                except redis.RedisError:
                    raise  # reconnect; this follower reads these entries again
                except Exception:  # a bug must not stop the others, nor loop on one batch
                    log.exception("stream reader: %s failed on %d entries of %s; skipped",
                                  type(follower).__name__, len(new), stream)
                    follower.positions[stream] = new[-1][0]

    @staticmethod
    def _from(followers):
        """{stream: the oldest position any follower has in it}."""
        ids = {}
        for follower in followers:
            for stream, entry_id in follower.positions.items():
                if stream not in ids or parse_entry_id(entry_id) < parse_entry_id(ids[stream]):
                    ids[stream] = entry_id
        return ids
