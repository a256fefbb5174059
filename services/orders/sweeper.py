"""The sweeper (docs/checkout-saga.md step 5): whatever the live path left unfinished.

Every ORDERS.sweep_interval_s, on every replica (each step is idempotent and re-checked under
the order's row lock, so two sweepers at once only repeat a call):
- An order still awaiting payment past ORDERS.payment_deadline_s (a fraud hold: past
  held_deadline_s) → ask payments.get_payment_by_order: completed or failed is applied as the
  event would have; none, still running, or held too long → cancel_payment, release the stock,
  order `cancelled` (reason payment_timeout).
- An order whose follow-ups (commit stock, clear cart, release, refund, return) are missing
  ORDERS.settle_after_s after it last moved → redo them.
- A checkout attempt that died before its order was saved → release what it may have
  reserved and forget its key; one whose order exists → store the order as its response.
- Keys older than idempotency_ttl_s and processed events older than a week are deleted.
A service that does not answer ends the pass for what needs it; the next pass tries again.
"""
import logging
from datetime import timedelta

import sqlalchemy as sa

from kit.errors import NotFound, ServiceError
from services.orders import idempotency, lifecycle, status
from services.orders.checkout import Checkout
from services.orders.dependencies import ServiceUnavailable
from services.orders.models import IdempotencyKey, Order, ProcessedEvent, utcnow
from services.orders.outcomes import COMPLETED, FAILED, HELD
from services.orders.saga import Saga
from services.orders.status import OrderStatus as S

log = logging.getLogger(__name__)

PROCESSED_EVENTS_KEPT = timedelta(days=7)


class Sweeper:
    def __init__(self, transaction, saga: Saga, settings):
        self.transaction = transaction
        self.saga = saga
        self.settings = settings

    def sweep(self):
        """One pass; returns what it did, for logs and tests."""
        report = {"finished": 0, "cancelled": 0, "settled": 0, "keys": 0, "skipped": 0}
        down = set()
        for order_id in self._due_orders():
            try:
                report[self._sweep_order(order_id, down)] += 1
            except ServiceUnavailable as exc:
                down.add(exc.service)
                report["skipped"] += 1
                log.warning("sweeper: %s", exc)
            except ServiceError as exc:  # e.g. payment_in_progress: the next pass will do
                report["skipped"] += 1
                log.info("sweeper: order %s: %s", order_id, exc)
        if "products" not in down and "cart" not in down:
            try:
                report["keys"] = self._unfinished_attempts()
            except ServiceUnavailable as exc:
                log.warning("sweeper: %s", exc)
        self._prune()
        if any(report[k] for k in ("finished", "cancelled", "settled", "keys")):
            log.info("sweeper: %s", report)
        return report

    def _due_orders(self):
        now = utcnow()
        deadline = now - timedelta(seconds=self.settings.payment_deadline_s)
        held_deadline = now - timedelta(seconds=self.settings.held_deadline_s)
        quiet = now - timedelta(seconds=self.settings.settle_after_s)
        awaiting = Order.status.in_([s.value for s in status.AWAITING_PAYMENT])
        with self.transaction() as session:
            return session.scalars(
                sa.select(Order.id).where(
                    Order.settled_at.is_(None),
                    sa.or_(
                        sa.and_(awaiting, Order.held_at.is_(None), Order.created_at < deadline),
                        sa.and_(awaiting, Order.held_at < held_deadline),
                        sa.and_(sa.not_(awaiting), Order.updated_at < quiet)))
                .order_by(Order.updated_at).limit(self.settings.sweep_batch)).all()

    def _sweep_order(self, order_id, down):
        order = self.saga.reread(order_id)
        if S(order.status) not in status.AWAITING_PAYMENT:
            if down:
                return "skipped"
            settled = self.saga.settle(order)
            return "settled" if settled.settled_at is not None else "skipped"
        if "payments" in down:
            return "skipped"
        try:
            payment = self.saga.payments.get_payment_by_order(order.order_ref)
        except NotFound:
            payment = None
        state = (payment or {}).get("status")
        if state in (COMPLETED, FAILED):
            self.saga.settle(self.saga.record_payment(order.order_ref, payment))
            return "finished"
        if state == HELD and order.held_at is None:
            self.saga.record_payment(order.order_ref, payment)  # starts the review clock
            return "skipped"
        order = self.saga.expire(order)
        return "cancelled" if order.status == S.CANCELLED.value else "finished"

    def _unfinished_attempts(self):
        cutoff = utcnow() - timedelta(seconds=self.settings.payment_deadline_s)
        with self.transaction() as session:
            attempts = session.scalars(
                sa.select(IdempotencyKey).where(IdempotencyKey.response.is_(None),
                                                IdempotencyKey.created_at < cutoff)
                .order_by(IdempotencyKey.created_at).limit(self.settings.sweep_batch)).all()
        done = 0
        for attempt in attempts:
            with self.transaction() as session:
                if not idempotency.try_lock(session, attempt.user_id, attempt.key):
                    continue  # a retry is working on it right now
                order = lifecycle.find(session, order_ref=attempt.order_ref)
                if order is not None:
                    idempotency.store(session, attempt, order.id,
                                      idempotency.ok(Checkout.present(session, order.id)))
                else:
                    self._release_orphan(attempt.order_ref)
                    session.execute(sa.delete(IdempotencyKey)
                                    .where(IdempotencyKey.id == attempt.id))
            done += 1
        return done

    def _release_orphan(self, order_ref):
        try:
            self.saga.products.release_stock(order_ref)
        except NotFound:
            pass  # it died before reserving anything
        try:
            self.saga.cart.release_hold(order_ref)
        except ServiceError as exc:
            log.info("hold of %s not released: %s", order_ref, exc)

    def _prune(self):
        now = utcnow()
        with self.transaction() as session:
            old_keys = sa.select(IdempotencyKey.id).where(
                IdempotencyKey.created_at < now - timedelta(
                    seconds=self.settings.idempotency_ttl_s),
                IdempotencyKey.response.is_not(None)).limit(1000)
            session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id.in_(old_keys)))
            old_events = sa.select(ProcessedEvent.event_id, ProcessedEvent.consumer).where(
                ProcessedEvent.processed_at < now - PROCESSED_EVENTS_KEPT).limit(1000)
            session.execute(sa.delete(ProcessedEvent).where(
                sa.tuple_(ProcessedEvent.event_id, ProcessedEvent.consumer).in_(old_events)))
