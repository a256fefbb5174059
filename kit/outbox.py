"""The transactional outbox: a state change and its event commit together; a relay publishes.

A service writes `self.outbox.add(session, "user.created", data)` inside the transaction that
changes its state. The row lands in the service's own `outbox` table. The relay (a green thread
in the same process) picks unsent rows with FOR UPDATE SKIP LOCKED (so replicas never publish
the same row at once), publishes them to `<service>.events` with routing key = event type and
the envelope as the JSON body, waits for the broker's confirms for the whole batch, then marks
the rows sent. A crash between commit and publish only delays the event; a crash between
publish and mark-sent republishes it, which the bridge's seen-marker turns into a no-op.
"""
import json
import logging
import threading
import time

import sqlalchemy as sa
from kombu import Connection
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import JSONB, UUID

from kit.db import database_uri, make_engine
from kit.demo_clock import EventClock
from kit.envelope import make_envelope
from kit.retry import run_forever
from kit.streams import TRANSIENT_ERRORS
from kit.topology import declare_bridge_queue, events_exchange

log = logging.getLogger(__name__)

OUTBOX_PUBLISHED = Counter("outbox_published_total", "Events published by the outbox relay",
                           ["service"])
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Unpublished outbox rows seen by the last relay pass",
                       ["service"])

PUBLISHED_RETENTION = "7 days"
# How long a woken relay waits for more commits before its pass (OUTBOX.gather_ms).
DEFAULT_GATHER_MS = 10


def _outbox_columns():
    """The outbox's columns, fresh each call (a Column belongs to one table)."""
    return [
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    ]


# The relay's only query path: unsent rows, oldest first.
_UNPUBLISHED_INDEX = ("ix_outbox_unpublished", ["created_at"])


def _unpublished_where():
    return {"postgresql_where": sa.text("published_at IS NULL")}


def outbox_table(metadata):
    """The `outbox` table, declared in a service's own metadata."""
    name, columns = _UNPUBLISHED_INDEX
    return sa.Table("outbox", metadata, *_outbox_columns(),
                    sa.Index(name, *columns, **_unpublished_where()), extend_existing=True)


def create_outbox_table(op):
    """For a service's Alembic migration: create the outbox exactly like `outbox_table`."""
    op.create_table("outbox", *_outbox_columns())
    name, columns = _UNPUBLISHED_INDEX
    op.create_index(name, "outbox", columns, **_unpublished_where())


_OUTBOX = outbox_table(sa.MetaData())


class RelayWriter:
    """What a worker sees as `self.outbox`, the part every outbox has: the relay's state."""

    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    def new_envelope(self, event_type, data, version=1):
        """The envelope of an event from this service, carrying this worker's correlation id."""
        return make_envelope(event_type, self._provider.source, data, version=version,
                             correlation_id=self._worker_ctx.data.get("correlation_id"),
                             occurred_at=self._provider.clock.now_iso())

    def now_ms(self):
        """The business time of this service's events, in ms (kit.demo_clock: a demo may shift it)."""
        return self._provider.clock.now_ms()

    def backlog(self):
        return self._provider.relay.backlog()

    def ping(self):
        """Healthy while the relay's last pass reached the broker."""
        if self._provider.relay.last_error:
            raise RuntimeError(self._provider.relay.last_error)
        return True


class OutboxWriter(RelayWriter):
    """`self.outbox` of a service with a database: `add` stages an event in a transaction."""

    def add(self, session, event_type, data, version=1):
        """Stage an event in `session`'s transaction; returns the envelope."""
        envelope = self.new_envelope(event_type, data, version=version)
        # clock_timestamp(), not now(): events staged in one transaction keep their order
        # (now() is the transaction's start time, the same for every row).
        session.execute(_OUTBOX.insert().values(
            id=envelope["id"], event_type=event_type, envelope=envelope,
            created_at=sa.func.clock_timestamp()))
        # Wake the relay as soon as this transaction commits, instead of waiting for its poll.
        if not session.info.get("outbox_listener"):
            session.info["outbox_listener"] = True
            sa_event.listen(session, "after_commit", self._provider.relay.wake, once=True)
        return envelope


def encoded(envelope, body=None):
    """What BatchPublisher.publish_encoded sends for an envelope (`body`: its JSON, if known)."""
    return (envelope["id"], envelope["type"], envelope.get("correlation_id"),
            body if body is not None else json.dumps(envelope, separators=(",", ":")))


class BatchPublisher:
    """Publish a batch to RabbitMQ and wait once for all of its publisher confirms."""

    def __init__(self, amqp_uri, bridge_queue, config, confirm_timeout=10):
        self.amqp_uri = amqp_uri
        self.bridge_queue = bridge_queue
        self.config = config  # nameko's: the exchange options come from it
        self.confirm_timeout = confirm_timeout
        self._conn = None
        self._channel = None
        self._declared = set()

    def _connect(self):
        self._conn = Connection(self.amqp_uri, heartbeat=0)
        self._conn.connect()
        self._channel = self._conn.channel()
        self._channel.confirm_select()
        self._seq = 0
        self._unconfirmed = set()
        self._nacked = []
        self._channel.events["basic_ack"].add(self._on_ack)
        self._channel.events["basic_nack"].add(self._on_nack)
        self._declared = set()

    def _confirmed(self, tag, multiple):
        # Confirms may arrive out of order; `multiple` covers every tag up to this one.
        if multiple:
            self._unconfirmed = {t for t in self._unconfirmed if t > tag}
        else:
            self._unconfirmed.discard(tag)

    def _on_ack(self, tag, multiple):
        self._confirmed(tag, multiple)

    def _on_nack(self, tag, multiple):
        self._confirmed(tag, multiple)
        self._nacked.append(tag)

    def close(self):
        if self._conn is not None:
            try:
                self._conn.release()
            except Exception:  # closing a dead connection must not mask the real error
                pass
        self._conn = None

    def publish(self, source, envelopes):
        """Publish envelopes (dicts); see publish_encoded."""
        self.publish_encoded(source, [encoded(envelope) for envelope in envelopes])

    def publish_encoded(self, source, messages):
        """Publish (event id, event type, correlation id, JSON body text) tuples as they
        are: an envelope stored as JSON is sent without being decoded and encoded again."""
        if self._conn is None:
            self._connect()
        try:
            exchange_name = events_exchange(source)
            if exchange_name not in self._declared:
                # The exchange as nameko declares it, and the bridge's queue and binding too:
                # an event published before the bridge ever ran would otherwise be unroutable
                # and silently dropped.
                declare_bridge_queue(self._channel, self.bridge_queue, self.config, [source])
                self._declared.add(exchange_name)
            for event_id, event_type, correlation_id, body in messages:
                msg = self._channel.prepare_message(
                    body, priority=0, content_type="application/json",
                    content_encoding="utf-8",
                    properties={"delivery_mode": 2, "message_id": event_id,
                                "correlation_id": correlation_id or None})
                self._channel.basic_publish(msg, exchange=exchange_name,
                                            routing_key=event_type)
                self._seq += 1
                self._unconfirmed.add(self._seq)
            deadline = time.monotonic() + self.confirm_timeout
            while self._unconfirmed and not self._nacked:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("publisher confirms did not arrive in time")
                self._conn.drain_events(timeout=remaining)
            if self._nacked:
                raise RuntimeError(f"broker nacked {len(self._nacked)} messages")
        except Exception:
            self.close()
            raise


class Relay:
    """The relay engine: publishes what a source holds, batch by batch, to `<source>.events`.

    Woken after each change (`wake`), it also polls every `poll_interval` for leftovers. A woken
    relay first waits `gather` seconds so that the commits of the next few milliseconds join
    its pass (one select, one confirm wait and one update for many rows instead of one pass
    each). A failed pass (broker, database or Redis down) keeps everything in the source and
    runs again after kit.retry's backoff; `last_error` says why until a pass succeeds.
    The source decides what one batch is and how it is marked done:
      source.publish_batch(publish, limit) -> how many it published, None if it may not
          publish now (another replica holds its lease); `publish(messages)` sends
          (event id, type, correlation id, JSON body) tuples and returns once the broker
          confirmed them all; only then does the source mark them done.
      source.backlog() -> how many wait; source.cheap_backlog: True if that is O(1), then the
          `outbox_backlog` gauge is set after every pass.
      source.housekeeping() -> called once an hour after a good pass.
    """

    def __init__(self, source, name, publisher, batch=500, poll_interval=1.0, paused=False,
                 gather=0.0):
        self.source = source
        self.name = name
        self.publisher = publisher
        self.batch = batch
        self.poll_interval = poll_interval
        self.paused = paused
        self.gather = gather
        self.last_error = None
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._running = False
        self._last_housekeeping = 0.0

    def wake(self, *_args):
        self._wake.set()

    def backlog(self):
        return self.source.backlog()

    def _publish(self, messages):
        self.publisher.publish_encoded(self.name, messages)

    def publish_pending(self):
        """One pass: publish batches until none are left. Returns how many were sent."""
        sent = 0
        while True:
            count = self.source.publish_batch(self._publish, self.batch)
            if count is None:
                return sent  # another replica is publishing; our wake-up polls again soon
            sent += count
            if count:
                OUTBOX_PUBLISHED.labels(self.name).inc(count)
            if count < self.batch:
                if self.source.cheap_backlog:
                    OUTBOX_BACKLOG.labels(self.name).set(self.source.backlog())
                return sent

    def run(self):
        self._running = True
        run_forever(self._pass, name=f"outbox relay for {self.name}",
                    stopped=lambda: not self._running, on_error=self._failed,
                    quiet=TRANSIENT_ERRORS)

    def _pass(self):
        self._wake.wait(self.poll_interval)
        if self.gather and self._running:
            time.sleep(self.gather)
        self._wake.clear()
        if self.paused or not self._running:
            return
        self._idle.clear()
        try:
            self.publish_pending()
            if time.monotonic() - self._last_housekeeping > 3600:
                self.source.housekeeping()
                self._last_housekeeping = time.monotonic()
            self.last_error = None
        finally:
            self._idle.set()

    def _failed(self, exc):
        """Nothing left the source: the next pass comes right after the backoff."""
        self.last_error = repr(exc)
        self._wake.set()

    def stop(self, timeout=10):
        self._running = False
        self._wake.set()
        self._idle.wait(timeout)  # let a pass in flight finish before its connections close
        self.publisher.close()


class SqlOutbox:
    """A relay source: the unsent rows of a service's `outbox` table.

    FOR UPDATE SKIP LOCKED, so replicas never publish the same row at once; the rows are marked
    sent in the transaction that selected them, after the broker confirmed them."""

    cheap_backlog = False  # a count over the partial index: read at scrape time only

    def __init__(self, engine):
        self.engine = engine

    def publish_batch(self, publish, limit):
        with self.engine.begin() as conn:
            # The envelope as the JSON text PostgreSQL holds: published as it is.
            rows = conn.execute(
                sa.select(_OUTBOX.c.id, _OUTBOX.c.event_type,
                          _OUTBOX.c.envelope["correlation_id"].astext.label("correlation"),
                          sa.cast(_OUTBOX.c.envelope, sa.Text).label("body"))
                .where(_OUTBOX.c.published_at.is_(None))
                .order_by(_OUTBOX.c.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if rows:
                publish([(r.id, r.event_type, r.correlation, r.body) for r in rows])
                conn.execute(_OUTBOX.update().where(_OUTBOX.c.id.in_([r.id for r in rows]))
                             .values(published_at=sa.func.now()))
        return len(rows)

    def backlog(self):
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(_OUTBOX)
                                .where(_OUTBOX.c.published_at.is_(None))).scalar()

    def housekeeping(self):
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                f"DELETE FROM outbox WHERE published_at < now() - interval '{PUBLISHED_RETENTION}'"))


class RelayProvider(DependencyProvider):
    """Gives workers `self.outbox` (a `writer`) and runs a relay of `make_source()` in this
    service process. Config OUTBOX: batch, poll_interval_ms, paused, gather_ms."""

    writer = RelayWriter
    default_gather_ms = 0

    def make_source(self, config):
        raise NotImplementedError

    def close(self):
        """Release what make_source opened (after the relay stopped)."""

    def setup(self):
        config = self.container.config
        self.source = self.container.service_name
        self.clock = EventClock.from_config(config)
        settings = config.get("OUTBOX", {})
        self.relay = Relay(
            self.make_source(config), self.source,
            BatchPublisher(config["AMQP_URI"], config["BRIDGE"]["queue"], config),
            batch=int(settings.get("batch", 500)),
            poll_interval=int(settings.get("poll_interval_ms", 1000)) / 1000.0,
            paused=str(settings.get("paused", "false")).lower() in ("1", "true", "yes"),
            gather=int(settings.get("gather_ms", self.default_gather_ms)) / 1000.0,
        )

    def start(self):
        self.relay.wake()  # publish whatever a previous process left behind
        self.container.spawn_managed_thread(self.relay.run,
                                            identifier=f"{self.source}_outbox_relay")

    def stop(self):
        self.relay.stop()
        self.close()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.writer(self, worker_ctx)


class Outbox(RelayProvider):
    """The outbox of a service with a database: `self.outbox.add(session, type, data)`."""

    writer = OutboxWriter
    default_gather_ms = DEFAULT_GATHER_MS

    def make_source(self, config):
        self.engine = make_engine(database_uri(config, self.source), pool_size=2, max_overflow=2)
        return SqlOutbox(self.engine)

    def close(self):
        self.engine.dispose()
