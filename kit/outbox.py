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
from kombu import Connection, Exchange, Queue
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import JSONB, UUID

from kit.db import database_uri, make_engine
from kit.envelope import make_envelope
from kit.retry import run_forever
from kit.streams import TRANSIENT_ERRORS
from kit.topology import events_exchange

log = logging.getLogger(__name__)

OUTBOX_PUBLISHED = Counter("outbox_published_total", "Events published by the outbox relay",
                           ["service"])
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Unpublished outbox rows seen by the last relay pass",
                       ["service"])

PUBLISHED_RETENTION = "7 days"
# How long a woken relay waits for more commits before its pass (OUTBOX.gather_ms).
DEFAULT_GATHER_MS = 10


def outbox_table(metadata):
    """The `outbox` table, declared in a service's own metadata."""
    return sa.Table(
        "outbox", metadata,
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Index("ix_outbox_unpublished", "created_at",
                 postgresql_where=sa.text("published_at IS NULL")),
        extend_existing=True,
    )


def create_outbox_table(op):
    """For a service's Alembic migration: create the outbox exactly like `outbox_table`."""
    op.create_table(
        "outbox",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["created_at"],
                    postgresql_where=sa.text("published_at IS NULL"))


_OUTBOX = outbox_table(sa.MetaData())


class OutboxWriter:
    """What a worker sees as `self.outbox`."""

    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    def add(self, session, event_type, data, version=1):
        """Stage an event in `session`'s transaction; returns the envelope."""
        envelope = make_envelope(
            event_type, self._provider.source, data, version=version,
            correlation_id=self._worker_ctx.data.get("correlation_id"),
        )
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

    def backlog(self):
        return self._provider.relay.backlog()

    def ping(self):
        """Healthy while the relay's last pass reached the broker."""
        if self._provider.relay.last_error:
            raise RuntimeError(self._provider.relay.last_error)
        return True


def encoded(envelope, body=None):
    """What BatchPublisher.publish_encoded sends for an envelope (`body`: its JSON, if known)."""
    return (envelope["id"], envelope["type"], envelope.get("correlation_id"),
            body if body is not None else json.dumps(envelope, separators=(",", ":")))


class BatchPublisher:
    """Publish a batch to RabbitMQ and wait once for all of its publisher confirms."""

    def __init__(self, amqp_uri, bridge_queue, confirm_timeout=10):
        self.amqp_uri = amqp_uri
        self.bridge_queue = bridge_queue
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
                # Same declaration as nameko's event dispatcher (topic, durable).
                exchange = Exchange(exchange_name, type="topic", durable=True)
                exchange(self._channel).declare()
                # Declare the bridge's queue and binding too: an event published before the
                # bridge ever ran would otherwise be unroutable and silently dropped.
                Queue(self.bridge_queue, exchange=exchange, routing_key="#",
                      durable=True)(self._channel).declare()
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


class OutboxRelay:
    """Publishes unsent outbox rows; woken after each commit, and polls to catch leftovers."""

    def __init__(self, engine, source, amqp_uri, bridge_queue, batch=500, poll_interval=1.0,
                 paused=False, gather=0.0):
        self.engine = engine
        self.gather = gather
        self.source = source
        self.publisher = BatchPublisher(amqp_uri, bridge_queue)
        self.batch = batch
        self.poll_interval = poll_interval
        self.paused = paused
        self.last_error = None
        self._wake = threading.Event()
        self._running = False
        self._last_cleanup = 0.0

    def wake(self, *_args):
        self._wake.set()

    def backlog(self):
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(_OUTBOX)
                                .where(_OUTBOX.c.published_at.is_(None))).scalar()

    def publish_pending(self):
        """One pass: publish batches until none are left. Returns how many were sent."""
        sent = 0
        while True:
            with self.engine.begin() as conn:
                # The envelope as the JSON text PostgreSQL holds: published as it is.
                rows = conn.execute(
                    sa.select(_OUTBOX.c.id, _OUTBOX.c.event_type,
                              _OUTBOX.c.envelope["correlation_id"].astext.label("correlation"),
                              sa.cast(_OUTBOX.c.envelope, sa.Text).label("body"))
                    .where(_OUTBOX.c.published_at.is_(None))
                    .order_by(_OUTBOX.c.created_at)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                ).all()
                if not rows:
                    return sent
                self.publisher.publish_encoded(
                    self.source, [(r.id, r.event_type, r.correlation, r.body) for r in rows])
                conn.execute(_OUTBOX.update().where(_OUTBOX.c.id.in_([r.id for r in rows]))
                             .values(published_at=sa.func.now()))
            sent += len(rows)
            OUTBOX_PUBLISHED.labels(self.source).inc(len(rows))
            if len(rows) < self.batch:
                return sent

    def cleanup(self):
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                f"DELETE FROM outbox WHERE published_at < now() - interval '{PUBLISHED_RETENTION}'"))

    def run(self):
        self._running = True
        run_forever(self._pass, name=f"outbox relay for {self.source}",
                    stopped=lambda: not self._running, on_error=self._failed,
                    quiet=TRANSIENT_ERRORS)

    def _pass(self):
        self._wake.wait(self.poll_interval)
        if self.gather and self._running:
            # Let the commits of the next few milliseconds join this pass: one select,
            # one confirm wait and one update for many rows instead of one pass each.
            time.sleep(self.gather)
        self._wake.clear()
        if self.paused or not self._running:
            return
        self.publish_pending()
        if time.monotonic() - self._last_cleanup > 3600:
            self.cleanup()
            self._last_cleanup = time.monotonic()
        self.last_error = None

    def _failed(self, exc):
        """Broker or DB down: the rows stay; the next pass comes right after the backoff."""
        self.last_error = repr(exc)
        self._wake.set()

    def stop(self):
        self._running = False
        self._wake.set()
        self.publisher.close()


class Outbox(DependencyProvider):
    """Gives workers `self.outbox.add(...)` and runs the relay for this service process."""

    def setup(self):
        config = self.container.config
        self.source = self.container.service_name
        settings = config.get("OUTBOX", {})
        self.engine = make_engine(database_uri(config, self.source), pool_size=2, max_overflow=2)
        self.relay = OutboxRelay(
            self.engine, self.source, config["AMQP_URI"], config["BRIDGE"]["queue"],
            batch=int(settings.get("batch", 500)),
            poll_interval=int(settings.get("poll_interval_ms", 1000)) / 1000.0,
            paused=str(settings.get("paused", "false")).lower() in ("1", "true", "yes"),
            gather=int(settings.get("gather_ms", DEFAULT_GATHER_MS)) / 1000.0,
        )

    def start(self):
        self.relay.wake()  # publish whatever a previous process left behind
        self.container.spawn_managed_thread(self.relay.run, identifier="outbox_relay")

    def stop(self):
        self.relay.stop()
        self.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return OutboxWriter(self, worker_ctx)
