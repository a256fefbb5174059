"""The cart's outbox is a Redis stream, `outbox:cart`; this relay publishes it to `cart.events`.

Why not kit.outbox: the cart lives in Redis, and a Redis write and a Postgres row cannot commit
together. So the Lua step that changes a cart also XADDs the event envelopes to `outbox:cart`
(carts.py): the change and its events exist together or not at all, which is the outbox's
promise (ARCHITECTURE §3) without a second database.

The relay is a green thread in every cart process. One pass, batch by batch: take the relay
lease (SET NX PX, so replicas do not publish the same entries at once), XRANGE the oldest
entries, publish them with kit.outbox.BatchPublisher (publisher confirms, one wait per batch),
then XDEL them and give the lease back. A crash after the publish and before the XDEL sends
the batch again on the next pass; the bridge's seen-marker turns that into a no-op (ADR 3).
A process killed while holding the lease delays publishing by at most `LEASE_MS`.
Ops can hold publishing with OUTBOX_RELAY_PAUSED=true (config OUTBOX.paused); entries wait.
"""
import json
import logging
import os
import socket
import threading
import time
import uuid

import redis
from nameko.extensions import DependencyProvider

from kit.envelope import make_envelope
from kit.outbox import OUTBOX_BACKLOG, OUTBOX_PUBLISHED, BatchPublisher, encoded
from kit.retry import run_forever
from kit.streams import TRANSIENT_ERRORS
from services.cart.carts import OUTBOX

log = logging.getLogger(__name__)

LEASE_KEY = OUTBOX + ":relay"
LEASE_MS = 15_000  # longer than a batch's confirm wait (10 s)

# Give the lease back only if it is still ours (it may have expired and moved on).
RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class OutboxWriter:
    """What a worker sees as `self.outbox`: envelopes for the Lua steps, and the relay's state."""

    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    def envelope(self, event_type, data):
        """The JSON envelope of an event, carrying this worker's correlation id."""
        return json.dumps(make_envelope(
            event_type, self._provider.source, data,
            correlation_id=self._worker_ctx.data.get("correlation_id")), separators=(",", ":"))

    def wake(self):
        """Publish now rather than at the next poll (call after a change was written)."""
        self._provider.relay.wake()

    def backlog(self):
        return self._provider.relay.backlog()

    def ping(self):
        """Healthy while the relay's last pass reached the broker."""
        if self._provider.relay.last_error:
            raise RuntimeError(self._provider.relay.last_error)
        return True


class RedisOutboxRelay:
    def __init__(self, client, source, publisher, batch=500, poll_interval=1.0, paused=False):
        self.client = client
        self.source = source
        self.publisher = publisher
        self.batch = batch
        self.poll_interval = poll_interval
        self.paused = paused
        self.last_error = None
        self.token = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._release = client.register_script(RELEASE_LEASE)
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._running = False

    def wake(self):
        self._wake.set()

    def backlog(self):
        return self.client.xlen(OUTBOX)

    def publish_pending(self):
        """Publish batches until the outbox is empty or another replica holds the lease."""
        sent = 0
        while True:
            if not self.client.set(LEASE_KEY, self.token, nx=True, px=LEASE_MS):
                return sent  # another replica is publishing; our wake-up polls again soon
            try:
                entries = self.client.xrange(OUTBOX, count=self.batch)
                if entries:
                    self.publisher.publish_encoded(self.source, [
                        encoded(json.loads(f["envelope"]), f["envelope"]) for _, f in entries])
                    self.client.xdel(OUTBOX, *[entry_id for entry_id, _ in entries])
            finally:
                self._release(keys=[LEASE_KEY], args=[self.token])
            sent += len(entries)
            OUTBOX_PUBLISHED.labels(self.source).inc(len(entries))
            if len(entries) < self.batch:
                OUTBOX_BACKLOG.labels(self.source).set(self.backlog())
                return sent

    def run(self):
        self._running = True
        run_forever(self._pass, name="cart outbox relay", stopped=lambda: not self._running,
                    on_error=self._failed, quiet=TRANSIENT_ERRORS)

    def _pass(self):
        self._wake.wait(self.poll_interval)
        self._wake.clear()
        if self.paused or not self._running:
            return
        self._idle.clear()
        try:
            self.publish_pending()
            self.last_error = None
        finally:
            self._idle.set()

    def _failed(self, exc):
        """Broker or Redis down: the entries stay; the next pass comes right after the backoff."""
        self.last_error = repr(exc)
        self._wake.set()

    def stop(self, timeout=10):
        self._running = False
        self._wake.set()
        self._idle.wait(timeout)  # let a pass in flight finish before its connections close
        self.publisher.close()


class RedisOutbox(DependencyProvider):
    """Gives workers `self.outbox` and runs the relay for this process."""

    def setup(self):
        config = self.container.config
        self.source = self.container.service_name
        settings = config.get("OUTBOX", {})
        self.client = redis.Redis.from_url(config["REDIS_URI"], decode_responses=True)
        self.relay = RedisOutboxRelay(
            self.client, self.source,
            BatchPublisher(config["AMQP_URI"], config["BRIDGE"]["queue"]),
            batch=int(settings.get("batch", 500)),
            poll_interval=int(settings.get("poll_interval_ms", 1000)) / 1000.0,
            paused=str(settings.get("paused", "false")).lower() in ("1", "true", "yes"),
        )

    def start(self):
        self.relay.wake()  # publish whatever a previous process left behind
        self.container.spawn_managed_thread(self.relay.run, identifier="cart_outbox_relay")

    def stop(self):
        self.relay.stop()
        self.client.close()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return OutboxWriter(self, worker_ctx)
