"""The tail: one greenlet per gateway process reading every stream with XREAD BLOCK.

Not a consumer group: every gateway process must see every event, since the clients an event
is for may be connected to any of them. The tail starts at the streams' current ends (their
newest entry ids, read once with XREVRANGE — passing `$` again on every call would lose entries
added between two calls) and then always continues from the last entry it handed on, so a
Redis outage delays events but loses none that the stream still holds.

`position(stream)` is the id of the newest entry already handed to the hub. Handing an entry on
and moving the position happen without yielding (the tail yields only between entries, every
few, so writers drain a burst as it is dispatched), so a client added to the hub "at position P"
receives exactly the entries after P — the SSE replay fills in up to P from XRANGE.
"""
import logging
import time

import gevent
import redis
from gevent.event import Event

from gateway.realtime.messages import ZERO_ID

log = logging.getLogger(__name__)


class StreamTail:
    def __init__(self, redis_uri, streams, on_entry, block_ms=5000, batch=500, yield_every=1):
        self.redis_uri = redis_uri
        self.streams = tuple(streams)
        self.on_entry = on_entry          # (stream, entry_id, fields) -> None; must not yield
        self.block_ms = int(block_ms)
        self.batch = int(batch)
        self.yield_every = max(1, int(yield_every))
        self.positions = None
        self.ready = Event()
        self.entries_seen = 0
        self.last_entry_at = None
        self._greenlet = None

    def start(self):
        if self._greenlet is None or self._greenlet.dead:
            self._greenlet = gevent.spawn(self._run)
            self._greenlet.name = "realtime-tail"

    def stop(self):
        if self._greenlet is not None:
            self._greenlet.kill(block=False)

    def wait_ready(self, timeout):
        return self.ready.wait(timeout)

    def position(self, stream):
        return self.positions.get(stream, ZERO_ID)

    def _client(self):
        # BLOCK must end before the socket times out (STACK-FACTS: redis-py's 5 s default).
        return redis.Redis.from_url(self.redis_uri, decode_responses=True,
                                    socket_timeout=self.block_ms / 1000.0 + 10,
                                    socket_connect_timeout=5, health_check_interval=30)

    def _current_ends(self, client):
        pipe = client.pipeline(transaction=False)
        for stream in self.streams:
            pipe.xrevrange(stream, "+", "-", count=1)
        return {stream: (newest[0][0] if newest else ZERO_ID)
                for stream, newest in zip(self.streams, pipe.execute())}

    def _run(self):
        client = self._client()
        delay = 0.2
        while True:
            try:
                if self.positions is None:
                    self.positions = self._current_ends(client)
                    self.ready.set()
                    log.info("tailing %d streams from their ends", len(self.streams))
                reply = client.xread(dict(self.positions), count=self.batch, block=self.block_ms)
                delay = 0.2
            except redis.RedisError as exc:
                log.warning("stream tail: %s; retrying in %.1fs", exc, delay)
                gevent.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            for stream, entries in reply or ():
                for entry_id, fields in entries:
                    try:
                        self.on_entry(stream, entry_id, fields)
                    except Exception:  # one bad entry must not stop the feed for everyone
                        log.exception("stream tail: could not dispatch %s %s", stream, entry_id)
                    self.positions[stream] = entry_id
                    self.entries_seen += 1
                    if self.entries_seen % self.yield_every == 0:
                        # Let writers drain before the next few: a burst read in one XREAD
                        # must not fill every client's buffer at once (and drop them all).
                        gevent.sleep(0)
                self.last_entry_at = time.time()
