"""The checkout saga after an order exists: payment outcomes, cancellation, and the follow-up
calls each status owes to products, cart and payments (docs/checkout-saga.md, steps 3-5).

Two halves, so a crash between them loses nothing:
1. A state change, in one transaction with its history and events, under the order's row lock:
   `record_payment` (from an RPC answer or a payment_events entry), `apply_refund`,
   `cancel`'s own move. Outcomes arrive in any order and any number of times; each applies
   once because it is checked against the order's current status.
2. The follow-ups (`settle`): commit or release or return stock, clear the cart, refund.
   Every one is idempotent per order_ref and stamps its column on the order when done, so
   whatever is left after a crash or an outage is redone by the next event or the sweeper.
   The steps are named in lifecycle.py (COMMIT_STOCK …); `settle` runs `_<step>` for each.
Where each part lives: outcomes.py (half 1's moves), followups.py (half 2), cancelling.py;
this module has the Saga class and its entry points for outcomes.
"""
import logging

import sqlalchemy as sa

import kit.db
from services.orders import lifecycle
from services.orders.cancelling import Cancelling
from services.orders.followups import Followups
from services.orders.models import Order, ProcessedEvent
from services.orders.outcomes import (COMPLETED, PAYMENT_EVENTS, REFUND_PROCESSED, apply_payment,
                                      apply_refund)
from services.orders.status import OrderStatus as S

log = logging.getLogger(__name__)

CONSUMER = "order_consumer"


def first_time(session, event, consumer=CONSUMER):
    """Record the event as processed; False if it already was (a redelivery)."""
    return kit.db.first_time(session, ProcessedEvent, event["id"], event["type"], consumer)


class Saga(Cancelling, Followups):
    """The saga's steps for one worker: `transaction` opens a session's transaction (the
    worker's database, or the checkout's own connection); the proxies are
    dependencies.ServiceRpc."""

    def __init__(self, transaction, outbox, products, cart, payments):
        self.transaction = transaction
        self.outbox = outbox
        self.products = products
        self.cart = cart
        self.payments = payments

    # --- outcomes ---------------------------------------------------------------------------

    def record_payment(self, order_ref, payment):
        with self.transaction() as session:
            order = lifecycle.find(session, order_ref=order_ref, lock=True)
            if order is not None:
                apply_payment(session, self.outbox, order, payment)
        return order

    def handle_payment_event(self, event):
        """payment.completed / payment.failed / fraud.detected / refund.processed from
        payment_events; anything else, or an order we do not know, is acknowledged and left."""
        kind, data = event["type"], event.get("data") or {}
        if kind not in PAYMENT_EVENTS and kind != REFUND_PROCESSED:
            return None
        if kind == "payment.completed" and self._already_paid(data):
            return None
        with self.transaction() as session:
            if not first_time(session, event):
                order = lifecycle.find(session, order_ref=data.get("order_ref"))
            else:
                order = self._locked_order(session, data)
                if order is None:
                    log.info("%s %s for unknown order %s: ignored", kind, event["id"],
                             data.get("order_ref"))
                    return None
                if kind == REFUND_PROCESSED:
                    apply_refund(session, self.outbox, order, data)
                else:
                    apply_payment(session, self.outbox, order, {
                        "payment_id": data.get("payment_id"), "status": PAYMENT_EVENTS[kind],
                        "failure_code": data.get("reason") if kind == "payment.failed" else None})
        return self.settle(order) if order is not None else None

    def _already_paid(self, data):
        """True when this payment already paid the order and everything it owed is done:
        the usual case, as checkout applies initiate_payment's answer at once. The event
        would change nothing, so it costs one plain read: no row lock, no processed row."""
        if not data.get("order_ref") or not data.get("payment_id"):
            return False
        with self.transaction() as session:
            row = session.execute(
                sa.select(Order.status, Order.payment_id, Order.payment_status, Order.settled_at)
                .where(Order.order_ref == data["order_ref"])).first()
        return (row is not None and row.status == S.PAID.value and row.settled_at is not None
                and row.payment_status == COMPLETED and row.payment_id == data["payment_id"])

    def _locked_order(self, session, data):
        if data.get("order_ref"):
            return lifecycle.find(session, order_ref=data["order_ref"], lock=True)
        if isinstance(data.get("order_id"), int):
            return lifecycle.find(session, order_id=data["order_id"], lock=True)
        return None
