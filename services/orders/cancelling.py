"""Cancelling an order (shopper or staff) and expiring one whose payment never finished."""
from kit.errors import Conflict, NotFound
from services.orders import lifecycle, status
from services.orders.lifecycle import is_staff, require_visible
from services.orders.outcomes import COMPLETED, FAILED, request_refund
from services.orders.status import OrderStatus as S


class Cancelling:
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


def _actor_ref(actor):
    return {"user_id": actor["user_id"], "role": actor["role"]} if actor else None
