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
"""
import logging

import sqlalchemy as sa

from kit.errors import Conflict, Forbidden, NotFound
from services.orders import lifecycle, status
from services.orders.dependencies import ServiceUnavailable
from services.orders.models import STAFF_ROLES, Order, ProcessedEvent, utcnow
from services.orders.status import OrderStatus as S

log = logging.getLogger(__name__)

CONSUMER = "order_consumer"

# Payment statuses as payments reports them (docs/checkout-saga.md step 2).
COMPLETED, FAILED, HELD = "completed", "failed", "held"
PAYMENT_EVENTS = {"payment.completed": COMPLETED, "payment.failed": FAILED,
                  "fraud.detected": HELD}
REFUND_PROCESSED = "refund.processed"
REFUND_DONE = ("processed", "succeeded", "completed", "refunded")
PAYMENT_GONE = ("cancelled", "canceled", "voided")
REFUND_FAILED = "refund_failed"
# Who asks payments for a refund nobody asked for in person (money that arrived late).
SYSTEM_ACTOR = {"user_id": 0, "role": "system"}


def is_staff(actor):
    return actor is not None and actor.get("role") in STAFF_ROLES


def require_visible(order, actor, order_id):
    """Staff see every order; a shopper only their own (anyone else's does not exist)."""
    if order is None or (actor is not None and not is_staff(actor)
                         and order.user_id != actor["user_id"]):
        raise lifecycle.order_not_found(order_id)
    return order


# --- applying outcomes (inside a transaction, order row locked) ------------------------------

def apply_payment(session, outbox, order, payment):
    """What payments said about this order's payment: {payment_id, status, failure_code?,
    next_action?}. Moves an order awaiting payment; money for an order already given up on
    is sent back (`refund_reason` late_payment)."""
    state = payment.get("status")
    order.payment_id = order.payment_id or payment.get("payment_id")
    current = S(order.status)
    if current in status.AWAITING_PAYMENT:
        order.payment_status = state
        order.payment_failure_code = payment.get("failure_code") or payment.get("reason")
        if "next_action" in payment:
            order.payment_next_action = payment.get("next_action")
        if state == COMPLETED:
            order.payment_next_action = None
            lifecycle.advance(session, outbox, order, S.PAID, "payment_completed")
        elif state == FAILED:
            lifecycle.advance(session, outbox, order, S.PAYMENT_FAILED,
                              order.payment_failure_code or "payment_failed")
        elif state == HELD:
            order.held_at = order.held_at or utcnow()
            lifecycle.advance(session, outbox, order, S.PAYMENT_PENDING, "fraud_review")
        elif state not in PAYMENT_GONE:
            lifecycle.advance(session, outbox, order, S.PAYMENT_PENDING, "payment_initiated")
    elif state == COMPLETED and current in (S.CANCELLED, S.PAYMENT_FAILED):
        order.payment_status = COMPLETED
        if order.refund_requested_at is None:
            log.warning("order %s: payment completed after the order was %s; refunding",
                        order.order_ref, current.value)
            request_refund(order, "late_payment", None)
    lifecycle.mark_settled_if_done(order)


def request_refund(order, reason, actor):
    order.refund_requested_at = utcnow()
    order.refund_reason = reason
    order.refund_actor = actor
    lifecycle.mark_settled_if_done(order)


def apply_refund(session, outbox, order, refund):
    """A refund went through: {refund_id?, amount?, status}. The one a cancellation asked for
    (or any that makes the order whole) moves a paid order to refunded."""
    refund_id = refund.get("refund_id") or refund.get("id")
    if refund_id and refund_id == order.refund_id and order.refund_completed_at is not None:
        return  # the RPC's answer and the event are the same refund
    outstanding = order.total_amount - order.refunded_amount
    amount = refund.get("amount")
    amount = outstanding if not isinstance(amount, int) else min(amount, outstanding)
    ours = order.refund_requested_at is not None and order.refund_completed_at is None
    if not ours and amount <= 0:
        return
    order.refunded_amount += amount
    whole = order.refunded_amount >= order.total_amount
    if ours:
        order.refund_completed_at = utcnow()
        order.refund_id = refund_id or order.refund_id
    order.payment_status = "refunded" if whole else "partially_refunded"
    if (ours or whole) and S(order.status) in (S.PAID, S.FULFILLED):
        lifecycle.advance(session, outbox, order, S.REFUNDED, order.refund_reason or "refunded")
    lifecycle.mark_settled_if_done(order)


def first_time(session, event, consumer=CONSUMER):
    """Record the event as processed; False if it already was (a redelivery)."""
    inserted = session.execute(
        sa.dialects.postgresql.insert(ProcessedEvent)
        .values(event_id=event["id"], consumer=consumer, event_type=event["type"])
        .on_conflict_do_nothing().returning(ProcessedEvent.event_id)).first()
    return inserted is not None


class Saga:
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

    # --- cancellation -----------------------------------------------------------------------

    def cancel(self, actor, order_id, reason=None):
        """Shopper (own order, before it ships) or staff. Not yet paid: void the payment,
        release the stock, cancelled. Paid: refund in full; refund.processed → refunded and
        the stock goes back. Cancelling again returns the order as it stands."""
        with self.transaction() as session:
            order = require_visible(lifecycle.find(session, order_id=order_id), actor, order_id)
        reason = reason or ("cancelled_by_staff" if is_staff(actor) else "cancelled_by_customer")
        return self._cancel(order, reason, actor)

    def expire(self, order, reason="payment_timeout"):
        """Payment never finished in time (the sweeper), or payments refused it outright.
        If the payment completes at the last moment the order is simply paid: nobody asked
        for their money back."""
        return self._cancel(order, reason, None, refund_if_paid=False)

    def _cancel(self, order, reason, actor, refund_if_paid=True):
        current = S(order.status)
        if current in (S.CANCELLED, S.REFUNDED) or (
                current in (S.PAID, S.FULFILLED) and order.refund_requested_at is not None):
            return order
        if current not in status.CANCELLABLE:
            raise status.illegal(current, S.CANCELLED)
        actor_id = actor["user_id"] if actor else None
        if current in status.AWAITING_PAYMENT:
            order = self._void_payment(order)
            with self.transaction() as session:
                order = lifecycle.find(session, order_id=order.id, lock=True)
                if S(order.status) in status.AWAITING_PAYMENT:
                    order.payment_status = "cancelled" if order.payment_id else None
                    lifecycle.advance(session, self.outbox, order, S.CANCELLED, reason, actor_id)
        if refund_if_paid and S(order.status) in (S.PAID, S.FULFILLED):
            with self.transaction() as session:
                order = lifecycle.find(session, order_id=order.id, lock=True)
                if order.refund_requested_at is None and S(order.status) in (S.PAID, S.FULFILLED):
                    request_refund(order, reason, _actor_ref(actor))
        return self.settle(self.reread(order.id))

    def _void_payment(self, order):
        """payments.cancel_payment; if the payment got there first, apply what it became."""
        try:
            voided = self.payments.cancel_payment(order.order_ref)
        except NotFound:
            return order  # nothing was ever initiated
        except Conflict as exc:
            if exc.code == "payment_in_progress":
                raise  # its capture is in flight right now: ask again in a moment
            voided = self.payments.get_payment_by_order(order.order_ref)  # it got there first
        if voided and voided.get("status") in (COMPLETED, FAILED):
            return self.record_payment(order.order_ref, voided) or order
        return order

    # --- follow-ups -------------------------------------------------------------------------

    def settle(self, order):
        """Make the calls this order (a row as just read or written) still owes; the settled
        row comes back. A failure is logged and left for the next event or the sweeper.

        The calls' stamps are written together at the end: a crash before that only means
        the next run repeats calls that are idempotent anyway."""
        for _ in range(3):  # a refund moves the order on, and the new status owes its own
            if not lifecycle.unsettled(order):
                return order
            steps = lifecycle.followups(order)
            stamps, moved, failed = {}, False, False
            for step in steps:
                try:
                    outcome = getattr(self, f"_{step}")(order)
                except (ServiceUnavailable, Conflict, NotFound, Forbidden) as exc:
                    log.warning("order %s: %s not done yet: %s", order.order_ref, step, exc)
                    failed = True
                    break
                if outcome is MOVED:
                    moved = True
                    break
                if outcome is None:
                    failed = True  # waiting on someone else (a refund still pending)
                    break
                stamps[outcome] = utcnow()
                setattr(order, outcome, stamps[outcome])
            with self.transaction() as session:
                order = lifecycle.find(session, order_id=order.id, lock=True)
                for column, when in stamps.items():
                    if getattr(order, column) is None:
                        setattr(order, column, when)
                lifecycle.mark_settled_if_done(order)
            if failed or not moved:
                return order
        return order

    def reread(self, order_id):
        with self.transaction() as session:
            return lifecycle.find(session, order_id=order_id)

    # Each step returns the column it completed, MOVED when it changed the order's status,
    # or None when it has to wait.

    def _commit_stock(self, order):
        self.products.commit_stock(order.order_ref)
        return "stock_committed_at"

    def _clear_cart(self, order):
        self.cart.clear_cart({"user_id": order.user_id}, order_ref=order.order_ref)
        return "cart_cleared_at"

    def _release_stock(self, order):
        try:
            self.products.release_stock(order.order_ref)
        except NotFound:
            pass  # nothing was reserved
        self.cart.release_hold(order.order_ref)
        return "stock_released_at"

    def _return_stock(self, order):
        self.products.return_stock(order.order_ref)
        return "stock_returned_at"

    def _refund(self, order):
        payment_id = order.payment_id
        if payment_id is None:
            payment_id = self.payments.get_payment_by_order(order.order_ref)["payment_id"]
        refund = self.payments.refund(
            order.refund_actor or SYSTEM_ACTOR, payment_id, amount=None,
            reason=order.refund_reason, idempotency_key=f"cancel:{order.order_ref}") or {}
        if refund.get("status") == "failed":
            log.error("order %s: refund %s failed (%s); staff must settle it by hand",
                      order.order_ref, refund.get("refund_id"), refund.get("failure_code"))
            with self.transaction() as session:
                locked = lifecycle.find(session, order_id=order.id, lock=True)
                locked.payment_status = REFUND_FAILED  # listed for staff; not retried
                lifecycle.mark_settled_if_done(locked)
            return MOVED
        if refund.get("status") not in REFUND_DONE:
            return None  # refund.processed finishes it
        with self.transaction() as session:
            locked = lifecycle.find(session, order_id=order.id, lock=True)
            apply_refund(session, self.outbox, locked, refund)
        return MOVED


MOVED = object()  # a follow-up step changed the order's status: look again at what it owes


def _actor_ref(actor):
    return {"user_id": actor["user_id"], "role": actor["role"]} if actor else None
