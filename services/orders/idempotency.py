"""Idempotent checkouts: one (user, Idempotency-Key) → one order → one stored response.

    with attempt(engine, user_id, key) as (conn, record):
        ...   # record: the key's row or None; conn holds the key's advisory lock

Concurrent duplicates queue on a session-level advisory lock named after the key, taken on a
connection of their own that the whole checkout then uses (one connection per checkout, and
a killed process drops its lock with its connection). Whoever gets the lock first does the
work and stores the response; the others then find it and return it as it was.

The row is written, with the order_ref, before any side effect, so an attempt that died half
way is resumed by a retry with the same key, or cleaned up by the sweeper.
Errors are stored too once an order exists (a repeat gets the same error); an attempt refused
before anything was saved (empty cart, out of stock) forgets its key, so a retry runs afresh.
"""
import hashlib
import json
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kit import errors
from kit.errors import ServiceError, ValidationFailed
from services.orders.models import IdempotencyKey, utcnow

LOCK = sa.text("SELECT pg_advisory_lock(hashtextextended(:name, 0))")
TRY_LOCK = sa.text("SELECT pg_try_advisory_xact_lock(hashtextextended(:name, 0))")
UNLOCK = sa.text("SELECT pg_advisory_unlock(hashtextextended(:name, 0))")
ERROR_TYPES = {cls.__name__: cls for cls in (
    errors.ValidationFailed, errors.BadRequest, errors.NotFound, errors.Conflict,
    errors.Unauthorized, errors.Forbidden, errors.TooManyRequests)}


@contextmanager
def on(conn):
    """A session's transaction on a connection the caller holds (the checkout's own, which
    also holds its Idempotency-Key lock). Like kit.db's `transaction()`, one fresh session
    each time: rows read in it stay readable after it closes."""
    session = Session(bind=conn, expire_on_commit=False)
    try:
        with session.begin():
            yield session
    finally:
        session.close()


def lock_name(user_id, key):
    return f"orders:idempotency:{user_id}:{key}"


def body_hash(payload):
    """For callers that send no hash of their own (nameko shell): the canonical JSON's."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@contextmanager
def attempt(engine, user_id, key):
    """Hold the key's lock on a dedicated connection; yield (connection, record or None)."""
    conn = engine.connect()
    name = lock_name(user_id, key)
    locked = False
    try:
        conn.execute(LOCK, {"name": name})
        conn.commit()
        locked = True
        with on(conn) as session:
            record = session.scalars(sa.select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)).first()
        yield conn, record
    finally:
        try:
            if conn.in_transaction():
                conn.rollback()
            if locked:
                conn.execute(UNLOCK, {"name": name})
                conn.commit()
        except Exception:
            conn.invalidate()  # never return a connection that may still hold the lock
        conn.close()


def try_lock(session, user_id, key):
    """For the sweeper: the key's lock for this transaction, if no checkout holds it."""
    return session.execute(TRY_LOCK, {"name": lock_name(user_id, key)}).scalar()


def check_same_request(record, request_hash):
    if record.request_hash != request_hash:
        raise ValidationFailed(
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request; use a new key.",
            {"fields": {"idempotency_key": ["Already used with a different body."]}})


def begin(conn, user_id, key, request_hash, order_ref):
    with on(conn) as session:
        record = IdempotencyKey(user_id=user_id, key=key, request_hash=request_hash,
                                order_ref=order_ref)
        session.add(record)
    return record


def forget(conn, record):
    with on(conn) as session:
        session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == record.id))


def store(session, record, order_id, response):
    session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == record.id).values(
        order_id=order_id, response=response, completed_at=utcnow()))


def finish(conn, record, order_id, response):
    with on(conn) as session:
        store(session, record, order_id, response)


def ok(order):
    return json.dumps({"order": order}, separators=(",", ":"))


def failed(exc):
    return json.dumps({"error": {"type": type(exc).__name__, **exc.to_dict()}},
                      separators=(",", ":"))


def replay(stored):
    """The stored outcome again: the order, or the same error raised again."""
    response = json.loads(stored)
    if "error" in response:
        error = response["error"]
        cls = ERROR_TYPES.get(error["type"], ServiceError)
        raise cls(error["code"], error["message"], error["details"])
    return response["order"]
