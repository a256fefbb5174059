"""The bridge's consumer loop: drain a batch from RabbitMQ, write it to Redis, ack it.

Per batch: messages are drained with a short timeout, every message becomes one EVALSHA of
the mirror script in a single non-transactional pipeline (each script call is atomic on its
own), and only after Redis has answered is the last delivery tag acked with multiple=True.
A crash anywhere before the ack leaves the messages unacked; RabbitMQ redelivers them and the
seen-markers turn them into no-ops. Losing either server ends the session: the AMQP
connection is dropped (unacked messages go back to the queue) and the loop reconnects with
capped exponential backoff.
"""
import logging
import socket
import threading
import time

import amqp.exceptions
import amqp.transport
import kombu.exceptions
import redis
from kombu import Connection
from redis.exceptions import NoScriptError

from bridge import metrics
from bridge.declare import declare_amqp, declare_streams
from bridge.entries import stream_write
from bridge.scripts import MIRROR_LUA, MIRROR_SHA
from kit.retry import run_forever

log = logging.getLogger(__name__)
# One JSON line per mirrored event (id, type, correlation id): set this logger to WARNING to
# keep only batches' troubles.
event_log = logging.getLogger("bridge.events")

CONNECTION_NAME = "aarya-bridge"  # names the AMQP connection and the Redis client
BACKOFF_START_S = 0.25
BACKOFF_MAX_S = 3.0
READ_AHEAD_BYTES = 16384
# Outages, logged without a traceback: either server gone, or the broker closed the connection.
_CONNECTION_ERRORS = (OSError, redis.ConnectionError, redis.TimeoutError,
                      amqp.exceptions.AMQPError, amqp.exceptions.MessageNacked,
                      kombu.exceptions.KombuError)


class MirrorState:
    """What /health reports; written by the loop, read by the side door thread."""

    def __init__(self):
        self.amqp_connected = False
        self.redis_connected = False
        self.last_flush_at = None  # epoch seconds
        self.last_error = None


class Mirror:
    def __init__(self, settings, config):
        self.settings = settings
        self.config = config  # nameko's get_event_exchange reads its options from it
        self.state = MirrorState()
        self._stop = threading.Event()
        self._batch = []
        self._last_tag = None
        self._consuming = False
        self._redis = redis.Redis.from_url(
            settings.redis_uri, socket_timeout=5, socket_connect_timeout=2,
            client_name=CONNECTION_NAME)  # shown by CLIENT LIST

    def stop(self):
        """Ask the loop to finish its current batch, ack it and return (SIGTERM)."""
        self._stop.set()

    @property
    def stopping(self):
        return self._stop.is_set()

    def run(self):
        run_forever(self._session, name="bridge session", stopped=lambda: self.stopping,
                    sleep=self._stop.wait, start=BACKOFF_START_S, cap=BACKOFF_MAX_S,
                    on_error=self._ended, quiet=_CONNECTION_ERRORS)
        log.info("bridge stopped")

    def _ended(self, exc):
        """A session ended by failing (a daemon: never the process). Returns True when it had
        got as far as consuming, which starts the backoff over: without that, one long outage
        (RabbitMQ down 2 min) left every later reconnect waiting BACKOFF_MAX_S."""
        self.state.last_error = f"{type(exc).__name__}: {exc}"
        self._set_amqp(False)
        if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
            self._set_redis(False)
        if not self.stopping:
            metrics.RECONNECTS.inc()
        return self._consuming

    # One session: connect both servers, declare, consume until stop or a failure.
    def _session(self):
        self._consuming = False
        self._redis.ping()
        declare_streams(self._redis, self.settings.dead_letter_stream)
        self._redis.script_load(MIRROR_LUA)
        self._set_redis(True)

        conn = Connection(self.settings.amqp_uri, heartbeat=self.settings.heartbeat_s,
                          connect_timeout=5, transport_options={
                              # Shown in the management console's connection list.
                              "client_properties": {"connection_name": CONNECTION_NAME}})
        try:
            conn.ensure_connection(max_retries=1)
            _read_ahead(conn)
            channel = conn.channel()
            channel.auto_decode = False  # keep bodies as the exact bytes for dead letters
            declare_amqp(channel, self.settings.queue, self.config)
            channel.basic_qos(0, self.settings.prefetch, False)
            # basic_consume on the channel instead of kombu.Consumer: it skips building a
            # kombu Message per delivery, which is measurable at ~10k msg/s.
            channel.basic_consume(self.settings.queue, callback=self._on_message)
            self._set_amqp(True)
            self._consuming = True
            self.state.last_error = None
            log.info("consuming %s (prefetch %d, batch ≤ %d)", self.settings.queue,
                     self.settings.prefetch, self.settings.flush_batch)
            self._consume(conn, channel)
        finally:
            self._batch, self._last_tag = [], None  # unacked deliveries die with the channel
            self._set_amqp(False)
            try:
                conn.release()
            except Exception:  # closing a broken connection must not mask why it broke
                pass

    def _consume(self, conn, channel):
        s = self.settings
        while not self.stopping:
            try:
                conn.drain_events(timeout=s.idle_timeout_s)
            except socket.timeout:
                conn.heartbeat_check()
                continue
            self._gather(conn)
            self._flush(channel)
            conn.heartbeat_check()
        # SIGTERM: the batch in hand was flushed and acked above; prefetched but undelivered
        # messages go back to the queue when the connection closes.
        self._flush(channel)

    def _gather(self, conn):
        """A message arrived: keep draining while more follow closely, within bounds."""
        s = self.settings
        deadline = time.monotonic() + s.max_batch_wait_s
        sock = conn.connection.transport.sock
        previous = sock.gettimeout()
        # py-amqp sets and restores the socket timeout around every frame unless it already
        # has the value asked for: six syscalls per message, saved by setting it once here.
        # Nothing is written to the socket inside this loop, so the short timeout only
        # ever applies to reads.
        sock.settimeout(s.drain_timeout_s)
        try:
            while len(self._batch) < s.flush_batch and time.monotonic() < deadline:
                try:
                    conn.drain_events(timeout=s.drain_timeout_s)
                except socket.timeout:
                    break
        finally:
            if sock.fileno() != -1:  # closed when the connection broke mid-drain
                sock.settimeout(previous)

    def _on_message(self, message):
        info = message.delivery_info
        self._batch.append(stream_write(message.body, info.get("exchange"),
                                        info.get("routing_key"), self.settings.dead_letter_stream))
        self._last_tag = info["delivery_tag"]

    def _flush(self, channel):
        if not self._batch:
            return
        started = time.perf_counter()
        batch, last_tag = self._batch, self._last_tag
        results = self._write(batch)
        # Only now is every entry (or its earlier copy) durable in Redis: ack them all at once.
        channel.basic_ack(last_tag, multiple=True)
        self._batch, self._last_tag = [], None
        now = time.time()
        self.state.last_flush_at = now
        self._record(batch, results, now)
        metrics.FLUSH_SECONDS.observe(time.perf_counter() - started)

    def _write(self, batch):
        """Run the mirror script for every message in one pipeline; returns entry ids or None."""
        # Constant arguments pre-encoded: redis-py passes bytes through without converting.
        head = (MIRROR_SHA.encode(), b"2")
        limits = (b"%d" % self.settings.seen_ttl_s, b"%d" % self.settings.maxlen)
        for attempt in (1, 2):
            pipe = self._redis.pipeline(transaction=False)
            for w in batch:
                pipe.evalsha(*head, w.marker, w.stream, *limits, *w.field_args)
            results = pipe.execute(raise_on_error=False)
            if attempt == 1 and any(isinstance(r, NoScriptError) for r in results):
                # Redis restarted or SCRIPT FLUSH: reload and rerun; the script is idempotent.
                self._redis.script_load(MIRROR_LUA)
                continue
            break
        errors = [r for r in results if isinstance(r, Exception)]
        if errors:
            # Not acked: the whole batch is redelivered after reconnect; written ones are skipped.
            raise errors[0]
        self._set_redis(True)
        return results

    def _record(self, batch, results, now):
        per_stream = {}
        duplicates = dead = 0
        for w, entry_id in zip(batch, results):
            if entry_id is None:
                duplicates += 1
            elif w.dead_letter:
                dead += 1
            else:
                per_stream[w.stream] = per_stream.get(w.stream, 0) + 1
                metrics.EVENT_LAG.observe(now - w.occurred_at)
                if w.event is not None and event_log.isEnabledFor(logging.INFO):
                    event_log.info("mirrored %s to %s", w.event[1], w.stream, extra={
                        "event_id": w.event[0], "event_type": w.event[1],
                        "correlation_id": w.event[2], "stream": w.stream,
                        "entry_id": _text(entry_id)})
        for stream, count in per_stream.items():
            metrics.EVENTS_MIRRORED.labels(stream).inc(count)
        if duplicates:
            metrics.DUPLICATES_SKIPPED.inc(duplicates)
        if dead:
            metrics.DEAD_LETTERED.inc(dead)
            log.warning("%d message(s) dead-lettered to %s", dead, self.settings.dead_letter_stream)
        metrics.BATCH_SIZE.observe(len(batch))

    def _set_amqp(self, up):
        self.state.amqp_connected = up
        metrics.AMQP_UP.set(1 if up else 0)

    def _set_redis(self, up):
        self.state.redis_connected = up
        metrics.REDIS_UP.set(1 if up else 0)


def _read_ahead(conn, chunk=READ_AHEAD_BYTES):
    """Let py-amqp read the socket in chunks rather than in exactly-sized pieces.

    TCPTransport._read asks recv() for exactly the bytes it needs next: three calls per frame,
    nine per small message. It already keeps any surplus in its _read_buffer, so handing it a
    recv that reads up to `chunk` bytes is safe and leaves about one syscall per dozen messages.
    (amqp is pinned; SSL transports are left as they are.)
    """
    transport = conn.connection.transport
    if type(transport) is amqp.transport.TCPTransport and hasattr(transport, "_quick_recv"):
        sock_recv = transport.sock.recv
        transport._quick_recv = lambda n: sock_recv(n if n > chunk else chunk)


def _text(value):
    return value.decode() if isinstance(value, bytes) else value
