"""Applying what payments said to an order (the saga's half 1: inside a transaction, the
order's row locked). Outcomes arrive in any order and any number of times; each applies once
because it is checked against the order's current status."""
import logging

from services.orders import lifecycle, status
from services.orders.models import utcnow
from services.orders.status import OrderStatus as S

log = logging.getLogger(__name__)

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
