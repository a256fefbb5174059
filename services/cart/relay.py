"""The cart's outbox is a Redis stream, `outbox:cart`; this relay publishes it to `cart.events`.

Why not kit.outbox's table: the cart lives in Redis, and a Redis write and a Postgres row cannot commit
together. So the Lua step that changes a cart also XADDs the event envelopes to `outbox:cart`
(carts.py): the change and its events exist together or not at all, which is the outbox's
promise (ARCHITECTURE §3) without a second database.

The relay is kit.outbox.Relay (the engine the SQL outbox runs on too: wake, poll, publisher
confirms with one wait per batch, backoff, metrics), a green thread in every cart process; this
module is only its source. One batch: take the relay lease (SET NX PX, so replicas do not
publish the same entries at once), XRANGE the oldest entries, publish them, then XDEL them and
give the lease back. A crash after the publish and before the XDEL sends the batch again on the next pass; the bridge's seen-marker turns that into a no-op (ADR 3).
A process killed while holding the lease delays publishing by at most `LEASE_MS`.
Ops can hold publishing with OUTBOX_RELAY_PAUSED=true (config OUTBOX.paused); entries wait.
"""
import json
import os
import socket
import uuid

import redis

from kit.outbox import RelayProvider, RelayWriter, encoded
from services.cart.carts import OUTBOX

LEASE_KEY = OUTBOX + ":relay"
LEASE_MS = 15_000  # longer than a batch's confirm wait (10 s)

# Give the lease back only if it is still ours (it may have expired and moved on).
RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class OutboxWriter(RelayWriter):
    """What a worker sees as `self.outbox`: envelopes for the Lua steps, and the relay's state."""

    def envelope(self, event_type, data):
        """The JSON envelope of an event, carrying this worker's correlation id."""
        return json.dumps(self.new_envelope(event_type, data), separators=(",", ":"))

    def wake(self):
        """Publish now rather than at the next poll (call after a change was written)."""
        self._provider.relay.wake()


class RedisOutboxSource:
    """A kit.outbox.Relay source: the oldest entries of the `outbox:cart` stream, under a lease."""

    cheap_backlog = True  # XLEN

    def __init__(self, client):
        self.client = client
        self.token = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._release = client.register_script(RELEASE_LEASE)

    def publish_batch(self, publish, limit):
        if not self.client.set(LEASE_KEY, self.token, nx=True, px=LEASE_MS):
            return None  # another replica is publishing
        try:
            entries = self.client.xrange(OUTBOX, count=limit)
            if entries:
                publish([encoded(json.loads(f["envelope"]), f["envelope"]) for _, f in entries])
                self.client.xdel(OUTBOX, *[entry_id for entry_id, _ in entries])
        finally:
            self._release(keys=[LEASE_KEY], args=[self.token])
        return len(entries)

    def backlog(self):
        return self.client.xlen(OUTBOX)

    def housekeeping(self):
        pass  # published entries are deleted as they go


class RedisOutbox(RelayProvider):
    """Gives workers `self.outbox` and runs the relay for this process."""

    writer = OutboxWriter

    def make_source(self, config):
        self.client = redis.Redis.from_url(config["REDIS_URI"], decode_responses=True)
        return RedisOutboxSource(self.client)

    def close(self):
        self.client.close()
