"""The saga's half 2: the follow-up calls each status owes to products, cart and payments
(`settle`). Every one is idempotent per order_ref and stamps its column on the order when done;
the steps are named in lifecycle.py (COMMIT_STOCK …) and `settle` runs `_<step>` for each."""
import logging

from kit.errors import Conflict, Forbidden, NotFound
from services.orders import lifecycle
from services.orders.dependencies import ServiceUnavailable
from services.orders.models import utcnow
from services.orders.outcomes import REFUND_DONE, REFUND_FAILED, SYSTEM_ACTOR, apply_refund

log = logging.getLogger(__name__)


class Followups:
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
