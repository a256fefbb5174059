"""An eventlet-safe SQLAlchemy session per worker, as a nameko DependencyProvider.

Usage in a service (kit.service_base.SqlService declares it for the services that own a database):
    db = Database()
    ...
    with self.db.transaction() as session:   # commits on success, rolls back on error
        session.add(User(...))
        self.outbox.add(session, "user.created", {...})   # same transaction

Also the pieces every service's models.py shares: `timestamp` and `created_at` columns, the
`processed_events` model (`processed_event_model`) and `first_time`, which records an event as
applied once per consumer.

psycogreen makes psycopg2 yield to other green threads while it waits on the server, so one
slow query never stalls the process (nameko's monkey patching does much the same; patching
twice is harmless and keeps `nameko shell` and scripts honest too).
"""
import logging
import time
from contextlib import contextmanager

import psycogreen.eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy import DateTime, String, create_engine, event, exc, func, text
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.orm import mapped_column, sessionmaker

psycogreen.eventlet.patch_psycopg()

log = logging.getLogger(__name__)


def database_uri(config, service_name):
    return config["DB_URIS"][service_name]


# A pooled connection idle for longer than this is pinged before use (see ping_when_idle).
IDLE_PING_S = 5.0


def make_engine(uri, pool_size=5, max_overflow=10):
    # No pool_pre_ping: it costs a SELECT 1 round trip on every checkout of the pool, i.e.
    # on every transaction of the hot path. Only connections that sat idle are pinged; one
    # that dies while busy fails its statement, and SQLAlchemy then invalidates the whole
    # pool (every connection older than the failure reconnects on its next checkout).
    engine = create_engine(uri, pool_size=pool_size, max_overflow=max_overflow,
                           pool_pre_ping=False, pool_recycle=1800)
    ping_when_idle(engine)
    return engine


def ping_when_idle(engine, idle_s=IDLE_PING_S):
    """Pessimistic disconnect handling that costs nothing while a connection is busy: a
    connection checked out after idling more than `idle_s` runs SELECT 1 first; if that fails
    the pool throws it away and hands out a fresh one (DisconnectionError, retried by the pool)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection, record):
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        idle_from = record.info.get("idle_from")
        if idle_from is None or time.monotonic() - idle_from < idle_s:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
        except Exception as error:  # the server went away while the connection idled
            raise exc.DisconnectionError(str(error)) from error


class WorkerDatabase:
    """What a worker sees as `self.db`: a lazily opened session and a transaction helper."""

    def __init__(self, provider):
        self._provider = provider
        self._session = None

    @property
    def engine(self):
        return self._provider.engine

    @property
    def session(self):
        if self._session is None:
            self._session = self._provider.Session()
        return self._session

    @contextmanager
    def transaction(self):
        """A fresh session whose work commits together or not at all."""
        session = self._provider.Session()
        try:
            yield session
            session.commit()
        except BaseException:
            # The rollback of a connection the server killed fails too: keep the first error
            # (the one the caller maps to 503), not the rollback's.
            _discard(session)
            raise
        else:
            session.close()

    def ping(self):
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    def close(self):
        """Called from worker_teardown, where nameko lets no exception through: one raised
        there kills the whole container (a PostgreSQL restart took orders down for good when
        closing a session rolled back on a connection the server had terminated)."""
        if self._session is not None:
            session, self._session = self._session, None
            _discard(session)


def _discard(session):
    """Close a session whatever state its connection is in; a dead one is invalidated, so
    the pool never hands it out again."""
    try:
        session.close()
    except Exception as error:
        log.warning("closing a database session failed (%r): invalidating it", error)
        try:
            session.invalidate()
        except Exception:  # nothing left to release
            pass


class Database(DependencyProvider):
    """Engine per service process (DB_URIS[<service name>]); session per worker."""

    def __init__(self, service_name=None):
        self.service_name = service_name
        self.engine = None
        self.Session = None
        self._workers = {}

    def setup(self):
        name = self.service_name or self.container.service_name
        # A worker holds one or two connections (session + transaction); ten services share one
        # PostgreSQL, so keep few idle and open more only while a burst lasts.
        workers = int(self.container.config.get("max_workers", 10))
        self.engine = make_engine(database_uri(self.container.config, name),
                                  pool_size=min(workers, 5), max_overflow=2 * workers)
        self.Session = sessionmaker(bind=self.engine, expire_on_commit=False)

    def stop(self):
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        wrapper = WorkerDatabase(self)
        self._workers[worker_ctx] = wrapper
        return wrapper

    def worker_teardown(self, worker_ctx):
        wrapper = self._workers.pop(worker_ctx, None)
        if wrapper is not None:
            wrapper.close()


def timestamp(**kw):
    """A model's `timestamptz` column (services' models.py share it, so every time has a zone)."""
    return mapped_column(DateTime(timezone=True), **kw)


def created_at(**kw):
    """A `timestamptz NOT NULL DEFAULT now()` column: when the row was written."""
    return timestamp(nullable=False, server_default=func.now(), **kw)



def processed_event_model(base, consumer_length=64, processed_at=None):
    """The `ProcessedEvent` model of a stream-consuming service (its `processed_events` table):
    one row per (event_id, consumer) applied, so a redelivery finds its row and changes nothing.

        ProcessedEvent = processed_event_model(Base)

    `consumer_length` and `processed_at` (a column) say where a service's migration differs."""
    return type("ProcessedEvent", (base,), {
        "__module__": base.__module__,
        "__doc__": "Stream events a consumer has applied (kit.db.processed_event_model).",
        "__tablename__": "processed_events",
        "event_id": mapped_column(UUID(as_uuid=False), primary_key=True),
        "consumer": mapped_column(String(consumer_length), primary_key=True),
        "event_type": mapped_column(String(100), nullable=False),
        "processed_at": created_at() if processed_at is None else processed_at,
    })


def first_time(session, model, event_id, event_type, consumer):
    """Record in `session` that `consumer` applied the event (a processed_event_model row);
    False if it already had: a redelivery, to be skipped."""
    return session.execute(
        insert(model).values(event_id=event_id, consumer=consumer, event_type=event_type[:100])
        .on_conflict_do_nothing(index_elements=["event_id", "consumer"])).rowcount == 1
