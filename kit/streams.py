"""`@stream_handler`: a nameko entrypoint that consumes Redis Streams through a consumer group.

    @stream_handler("order_events", "payment_events", group="notification_consumer")
    def on_event(self, event):          # event = the envelope + "stream" and "entry_id"
        ...

Delivery contract (at least once; handlers must be idempotent by event["id"]):
- XREADGROUP hands new entries to this process's consumer; each runs as a nameko worker.
- Success → XACK. Failure → the entry stays pending.
- A reclaim loop XAUTOCLAIMs entries idle longer than `claim_idle_ms` (failed here, or left
  by a dead replica) and runs them again; once an entry has been delivered more than
  `max_deliveries` times it is copied to the `dead_letter` stream and XACKed, atomically,
  so it lands there once and the group moves on.
- A failure that is an outage, not a bad entry (the handler's database, broker or Redis
  unreachable: `is_transient`), gives its delivery back (XCLAIM … RETRYCOUNT), so it is retried
  every `claim_idle_ms` for as long as the outage lasts and never dead-lettered for it. Without
  this a 10 s PostgreSQL restart burned every entry's `max_deliveries` in ~2 s and sent each one
  to dead_letter: events missing from the audit log after the restart story.

Batches: `@stream_handler(..., batch=200)` hands the handler a LIST of events (up to 200 new
entries of one read, across its streams) so it can apply them in one transaction; all are
XACKed together on success. The contract stays per entry: a batch that fails on an outage gives
every entry's delivery back; one that fails otherwise is run again one entry at a time (each as
a list of one, same delivery), so a poison entry fails alone and takes the usual retry and
dead-letter path while its neighbours are acknowledged. Reclaimed entries always run one by one.
`in_flight=K` (batches only) caps the handler's batches running at once: the reader waits for a
free slot before its next XREADGROUP, so a backlog is read in big batches applied K at a time
instead of max_workers small ones fighting over the same rows and pool connections.
Without batches the analytics consumer spent a transaction (~67 ms on a loaded machine) per
event: 14 events/s against the bridge's 498 (issue 9).
"""
import json
import logging
import os
import socket
from functools import partial

import amqp.exceptions
import eventlet
import eventlet.semaphore
import kombu.exceptions
import redis
import sqlalchemy.exc
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.extensions import Entrypoint, ProviderCollector, SharedExtension
from prometheus_client import Counter

from kit.envelope import BadEnvelope, from_stream_fields
from kit.errors import Unavailable
from kit.retry import run_forever
from kit.topology import DEAD_LETTER_STREAM

log = logging.getLogger(__name__)

STREAM_HANDLED = Counter("stream_entries_handled_total", "Stream entries handled",
                         ["stream", "group", "outcome"])

# XACK and the dead_letter copy in one step: only the caller whose XACK removed the entry from
# the pending list writes the copy, so two reclaimers can never dead-letter it twice.
DEAD_LETTER_SCRIPT = """
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))
end
return false
"""


# What a handler raises when something it depends on is down, not when the entry is bad.
TRANSIENT_ERRORS = (
    sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.DisconnectionError, sqlalchemy.exc.TimeoutError,
    redis.ConnectionError, redis.TimeoutError,
    kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
    RpcTimeout, UnknownService, Unavailable,
    ConnectionError, TimeoutError,
)


# The same by class name, for clients kit does not import (Elasticsearch's transport errors)
# and for a service's own wrapper (orders' ServiceUnavailable).
TRANSIENT_NAMES = frozenset({"ConnectionTimeout", "ConnectionError", "ServiceUnavailable",
                             "OperationalError"})


def is_transient(exc):
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    return any(cls.__name__ in TRANSIENT_NAMES for cls in type(exc).__mro__)


def stream_settings(config):
    s = config.get("STREAMS", {})
    return {
        "block_ms": int(s.get("block_ms", 2000)),
        "batch": int(s.get("batch", 100)),
        "claim_idle_ms": int(s.get("claim_idle_ms", 30000)),
        "claim_interval_ms": int(s.get("claim_interval_ms", 5000)),
        "max_deliveries": int(s.get("max_deliveries", 5)),
        "dead_letter": s.get("dead_letter", DEAD_LETTER_STREAM),
        "maxlen": int(s.get("maxlen", 1000000)),
    }


def blocking_redis(uri, block_ms):
    """redis-py's default 5 s socket timeout would break a longer BLOCK: give it headroom."""
    return redis.Redis.from_url(uri, socket_timeout=block_ms / 1000.0 + 10,
                                socket_connect_timeout=5, health_check_interval=30)


def ensure_group(client, stream, group):
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


class StreamConsumer(SharedExtension, ProviderCollector):
    """One per container: a reader per consumer group and a reclaim loop per (stream, group)."""

    def __init__(self):
        super().__init__()
        self._running = False
        self._in_flight = set()

    def setup(self):
        self.settings = stream_settings(self.container.config)
        self.client = blocking_redis(self.container.config["REDIS_URI"], self.settings["block_ms"])
        self.consumer_name = f"{self.container.service_name}-{socket.gethostname()}-{os.getpid()}"
        self._dead_letter = self.client.register_script(DEAD_LETTER_SCRIPT)

    def routes(self):
        """{group: {stream: handler entrypoint}}."""
        table = {}
        for provider in self._providers:
            for stream in provider.streams:
                table.setdefault(provider.group, {})[stream] = provider
        return table

    def start(self):
        self._running = True
        for group, streams in self.routes().items():
            for stream in streams:
                ensure_group(self.client, stream, group)
            self.container.spawn_managed_thread(
                partial(self._read_loop, group, streams), identifier=f"stream_reader:{group}")
            for stream in streams:
                self.container.spawn_managed_thread(
                    partial(self._reclaim_loop, stream, group, streams[stream]),
                    identifier=f"stream_reclaim:{stream}:{group}")

    def stop(self):
        self._running = False
        self.wait_for_providers()

    def kill(self):
        self._running = False

    def _read_loop(self, group, streams):
        count = max([self.settings["batch"]] + [p.batch or 0 for p in streams.values()])
        self._retry(partial(self._read_once, group, streams, count),
                    f"stream reader {group} on {','.join(streams)}", group, streams)

    def _read_once(self, group, streams, count):
        for provider in streams.values():
            provider.wait_for_slot()
        replies = self.client.xreadgroup(
            group, self.consumer_name, {s: ">" for s in streams},
            count=count, block=self.settings["block_ms"])
        batches = {}
        for stream, entries in replies or []:
            stream = _text(stream)
            provider = streams[stream]
            for entry_id, fields in entries:
                if provider.batch:
                    batches.setdefault(provider, []).append(
                        (stream, _text(entry_id), fields, 1))
                else:
                    self._dispatch(provider, stream, _text(entry_id), fields, 1)
        for provider, items in batches.items():
            for n in range(0, len(items), provider.batch):
                self._dispatch_batch(provider, items[n:n + provider.batch])

    def _reclaim_loop(self, stream, group, provider):
        interval = self.settings["claim_interval_ms"] / 1000.0
        position = {"start": "0-0"}

        def reclaim():
            eventlet.sleep(interval)
            if self._running:
                self._keep_alive(stream, group)
                position["start"] = self._reclaim_once(stream, group, provider,
                                                       position["start"])

        self._retry(reclaim, f"stream reclaim {group} on {stream}", group, [stream])

    def _retry(self, step, name, group, streams):
        """Run a loop's step until stop; on a Redis error back off, and recreate a deleted
        stream or group first (ops trimmed it, a flush)."""
        run_forever(step, name=name, stopped=lambda: not self._running, sleep=eventlet.sleep,
                    start=0.1, cap=1.0, retry_on=(redis.RedisError,), quiet=(redis.RedisError,),
                    on_error=partial(self._recover, group=group, streams=streams))

    def _recover(self, exc, group, streams):
        """True when a lost group was recreated: the next try comes after the shortest delay."""
        if "NOGROUP" not in str(exc.args):
            return False
        try:
            for stream in streams:
                ensure_group(self.client, stream, group)
            return True
        except redis.RedisError:
            return False

    def _keep_alive(self, stream, group):
        """Reset the idle time of the entries this process is still handling (XCLAIM JUSTID
        leaves the delivery count alone), so another replica only reclaims the entries of a
        consumer that died or hung, never one that is merely slow. Without it, a loaded machine
        (handlers slower than claim_idle_ms) had replicas stealing entries from each other until
        max_deliveries dead-lettered them, though every try was succeeding."""
        mine = [entry_id for s, entry_id in self._in_flight if s == stream]
        if mine:
            self.client.xclaim(stream, group, self.consumer_name, min_idle_time=0,
                               message_ids=mine, justid=True)

    def _reclaim_once(self, stream, group, provider, start):
        reply = self.client.xautoclaim(stream, group, self.consumer_name,
                                       min_idle_time=self.settings["claim_idle_ms"],
                                       start_id=start, count=self.settings["batch"])
        next_start, claimed = _text(reply[0]), reply[1]
        for entry_id, fields in claimed:
            entry_id = _text(entry_id)
            if (stream, entry_id) in self._in_flight or fields is None:
                continue
            pending = self.client.xpending_range(stream, group, min=entry_id, max=entry_id,
                                                 count=1)
            deliveries = pending[0]["times_delivered"] if pending else 1
            if deliveries > self.settings["max_deliveries"]:
                self._send_to_dead_letter(stream, group, entry_id, fields, deliveries - 1,
                                          "max deliveries exceeded")
            elif provider.batch:
                self._dispatch_batch(provider, [(stream, entry_id, fields, deliveries)])
            else:
                self._dispatch(provider, stream, entry_id, fields, deliveries)
        return next_start

    def _send_to_dead_letter(self, stream, group, entry_id, fields, deliveries, reason):
        copy = {_text(k): _text(v) for k, v in (fields or {}).items()}
        copy.update({"origin_stream": stream, "origin_group": group, "origin_entry_id": entry_id,
                     "deliveries": str(deliveries), "reason": reason})
        args = [group, entry_id, self.settings["maxlen"]]
        for key, value in copy.items():
            args += [key, value]
        self._dead_letter(keys=[stream, self.settings["dead_letter"]], args=args)
        STREAM_HANDLED.labels(stream, group, "dead_letter").inc()
        log.error("dead-lettered %s %s for %s after %s deliveries: %s",
                  stream, entry_id, group, deliveries, reason)

    def _dispatch(self, provider, stream, entry_id, fields, deliveries):
        try:
            event = from_stream_fields(fields)
        except (KeyError, ValueError, TypeError, json.JSONDecodeError) as exc:
            self._send_to_dead_letter(stream, provider.group, entry_id, fields, deliveries,
                                      f"bad envelope: {exc!r}")
            return
        event.update(stream=stream, entry_id=entry_id, deliveries=deliveries)
        self._in_flight.add((stream, entry_id))
        provider.handle_entry(stream, entry_id, event,
                              partial(self._on_result, deliveries=deliveries))

    def _dispatch_batch(self, provider, items):
        """items: [(stream, entry_id, fields, deliveries)] → one worker with a list of events."""
        good = []
        for stream, entry_id, fields, deliveries in items:
            try:
                event = from_stream_fields(fields)
            except (KeyError, ValueError, TypeError, json.JSONDecodeError) as exc:
                self._send_to_dead_letter(stream, provider.group, entry_id, fields, deliveries,
                                          f"bad envelope: {exc!r}")
                continue
            event.update(stream=stream, entry_id=entry_id, deliveries=deliveries)
            self._in_flight.add((stream, entry_id))
            good.append(event)
        if good:
            provider.handle_batch(good, self._on_batch_result)

    def _on_batch_result(self, provider, events, exc_info):
        group = provider.group
        if exc_info is None:
            by_stream = {}
            for event in events:
                self._in_flight.discard((event["stream"], event["entry_id"]))
                by_stream.setdefault(event["stream"], []).append(event["entry_id"])
            for stream, entry_ids in by_stream.items():
                try:
                    self.client.xack(stream, group, *entry_ids)
                except redis.RedisError as exc:  # stay pending; reclaimed, re-run (idempotent)
                    log.warning("XACK %s %s entries failed: %r", stream, len(entry_ids), exc)
                STREAM_HANDLED.labels(stream, group, "ok").inc(len(entry_ids))
        elif len(events) > 1 and not is_transient(exc_info[1]):
            # Which entry is bad is not known: run each alone (still in flight, same delivery).
            log.warning("batch of %s on %s failed (%r): running it one entry at a time",
                        len(events), group, exc_info[1])
            self.container.spawn_managed_thread(
                partial(self._one_by_one, provider, events),
                identifier=f"stream_batch_fallback:{group}")
        else:
            for event in events:
                self._on_result(event["stream"], group, event["entry_id"], exc_info,
                                deliveries=event["deliveries"])

    def _one_by_one(self, provider, events):
        # From its own thread: spawning workers from the failed worker's result handler could
        # wait on a worker pool that this very worker still holds a place in.
        for event in events:
            provider.handle_batch([event], self._on_batch_result)

    def _on_result(self, stream, group, entry_id, exc_info, deliveries=1):
        self._in_flight.discard((stream, entry_id))
        if exc_info is None:
            try:
                self.client.xack(stream, group, entry_id)
            except redis.RedisError as exc:  # stays pending; reclaimed and re-run (idempotent)
                log.warning("XACK %s %s failed: %r", stream, entry_id, exc)
            STREAM_HANDLED.labels(stream, group, "ok").inc()
        elif is_transient(exc_info[1]):
            self._give_delivery_back(stream, group, entry_id, deliveries)
            STREAM_HANDLED.labels(stream, group, "transient").inc()
        else:
            STREAM_HANDLED.labels(stream, group, "error").inc()

    def _give_delivery_back(self, stream, group, entry_id, deliveries):
        """An outage is not the entry's fault: set its delivery count back to what it was
        before this try. It stays pending here and is reclaimed after claim_idle_ms."""
        try:
            self.client.xclaim(stream, group, self.consumer_name, min_idle_time=0,
                               message_ids=[entry_id], retrycount=max(0, deliveries - 1),
                               justid=True)
        except redis.RedisError as exc:  # Redis is the outage: the count did not move either
            log.warning("XCLAIM RETRYCOUNT %s %s failed: %r", stream, entry_id, exc)


class StreamHandler(Entrypoint):
    consumer = StreamConsumer()

    def __init__(self, *streams, group, batch=None, in_flight=None, **kwargs):
        if not streams:
            raise ValueError("stream_handler needs at least one stream")
        if batch is not None and int(batch) < 1:
            raise ValueError("stream_handler batch must be at least 1")
        if in_flight is not None and (not batch or int(in_flight) < 1):
            raise ValueError("stream_handler in_flight needs batch and must be at least 1")
        self.streams = streams
        self.group = group
        self.batch = int(batch) if batch else None  # None: the handler takes one event
        self.in_flight = int(in_flight) if in_flight else None
        self._slots = eventlet.semaphore.Semaphore(self.in_flight) if self.in_flight else None
        super().__init__(**kwargs)

    def wait_for_slot(self):
        """Block until fewer than `in_flight` of this handler's batches run (no-op without)."""
        if self._slots is not None:
            self._slots.acquire()
            self._slots.release()

    def setup(self):
        self.consumer.register_provider(self)

    def stop(self):
        self.consumer.unregister_provider(self)

    def handle_entry(self, stream, entry_id, event, on_result):
        def handle_result(worker_ctx, result, exc_info):
            on_result(stream, self.group, entry_id, exc_info)
            return result, exc_info

        self.container.spawn_worker(
            self, (event,), {}, context_data={"correlation_id": event.get("correlation_id")},
            handle_result=handle_result)

    def handle_batch(self, events, on_result):
        if self._slots is not None:
            self._slots.acquire()

        def handle_result(worker_ctx, result, exc_info):
            if self._slots is not None:
                self._slots.release()
            on_result(self, events, exc_info)
            return result, exc_info

        try:
            self.container.spawn_worker(
                self, (events,), {},
                context_data={"correlation_id": events[0].get("correlation_id")},
                handle_result=handle_result)
        except BaseException:
            if self._slots is not None:
                self._slots.release()
            raise


stream_handler = StreamHandler.decorator

__all__ = ["stream_handler", "BadEnvelope"]
