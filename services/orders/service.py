"""The orders service: checkout, the payment saga, order history, fulfilment and tracking.

Entry points only. The contract with payments, products and cart is docs/checkout-saga.md;
checkout.py places an order (lines.py: its lines and stock), saga.py applies payment
outcomes (outcomes.py), cancels (cancelling.py) and makes the follow-up calls
(followups.py), sweeper.py finishes what the live path left, fulfilment.py is staff's
warehouse moves, queries.py reading, abandoned.py the abandoned-cart log. The status machine
is status.py; lifecycle.py is the one place a status changes; events.py lists every event.

`actor` is {"user_id", "role"} as the gateway read it from the access token: a shopper sees
and cancels their own orders only; staff (support, admin) see all and move fulfilment.
Reads take `actor=None` from trusted internal callers (`nameko shell`: get_order(42)).

Error codes: NotFound order_not_found · Conflict cart_empty, out_of_stock (details.lines),
illegal_transition (details.from/to/allowed), order_not_shipped, mixed_currencies,
cart_changed, checkout_expired, order_ref_taken · ValidationFailed validation_failed
(details.fields), idempotency_key_reused · Forbidden staff_only.
"""
from functools import cached_property


from kit import service_base
from kit.rpc import rpc
from kit.schemas import load
from kit.streams import stream_handler
from kit.timers import settings_timer
from services.orders import abandoned, fulfilment, queries
from services.orders.checkout import Checkout
from services.orders.dependencies import ServiceRpc
from services.orders.saga import CONSUMER, Saga, first_time
from services.orders.schemas import (AbandonedCartsSchema, ActorSchema, CancelSchema,
                                     ListOrdersSchema, OrderIdSchema, StatusChangeSchema)
from services.orders.settings import OrderSettings
from services.orders.sweeper import Sweeper


def _actor(actor):
    return load(ActorSchema(), actor) if actor is not None else None


class OrdersService(service_base.SqlService):
    name = "orders"

    # db, outbox: service_base.SqlService
    products = ServiceRpc("products")
    cart = ServiceRpc("cart")
    payments = ServiceRpc("payments", timeout_setting="payments_timeout_s")
    settings_class = OrderSettings

    @cached_property
    def saga(self):
        return Saga(self.db.transaction, self.outbox, self.products, self.cart, self.payments)

    # --- checkout ---------------------------------------------------------------------------

    @rpc
    def create_order(self, actor, idempotency_key, payload, request_hash=None, ip=None):
        """Place an order from the caller's cart (staff: from `items`) and start its payment.

        payload: {shipping_address, payment_method: {token} | {card}, items? (staff), notes?}.
        The same (user, idempotency_key) always gets the same answer; `request_hash` (the
        gateway's hash of the raw body; else one of `payload`) tells a repeat from a reuse.
        Returns the order as it stands: payment_pending, or already paid / payment_failed."""
        checkout = Checkout(self.db.engine, self.outbox, self.products, self.cart,
                            self.payments)
        return checkout.place(actor, idempotency_key, payload, request_hash, ip)

    # --- reading ----------------------------------------------------------------------------

    @rpc
    def get_order(self, order_id, actor=None):
        """The order with its status history and tracking."""
        order_id = load(OrderIdSchema(), {"order_id": order_id})["order_id"]
        return queries.order_details(self.db.session, _actor(actor), order_id)

    @rpc
    def list_orders(self, filters=None, actor=None):
        """Newest first: {items, next_before_id}. Filters: status, user_id (staff),
        payment_status (e.g. held: waiting for a fraud review), before_id, limit."""
        filters = load(ListOrdersSchema(), filters or {})
        return queries.list_orders(self.db.session, _actor(actor), filters)

    @rpc
    def get_tracking(self, order_id, actor=None):
        order_id = load(OrderIdSchema(), {"order_id": order_id})["order_id"]
        return queries.tracking(self.db.session, _actor(actor), order_id)

    # --- changing an order ------------------------------------------------------------------

    @rpc
    def cancel_order(self, actor, order_id, reason=None):
        """Not yet paid: void the payment, release the stock, cancelled. Paid (not shipped):
        refund in full; the order becomes refunded and its stock returns when it is done."""
        order_id = load(OrderIdSchema(), {"order_id": order_id})["order_id"]
        reason = load(CancelSchema(), {"reason": reason})["reason"]
        self.saga.cancel(load(ActorSchema(), actor), order_id, reason)
        return queries.order_details(self.db.session, None, order_id)

    @rpc
    def update_status(self, actor, order_id, change):
        """Staff: {status: fulfilled | shipped | delivered, tracking?: {carrier,
        tracking_number, current_location?, estimated_delivery?} (required to ship), note?}."""
        order_id = load(OrderIdSchema(), {"order_id": order_id})["order_id"]
        change = load(StatusChangeSchema(), change or {})
        with self.db.transaction() as session:
            fulfilment.change_status(session, self.outbox, load(ActorSchema(), actor), order_id,
                                     change)
        return queries.order_details(self.db.session, None, order_id)

    @rpc
    def add_tracking(self, actor, order_id, update):
        """Staff: where a shipped parcel is now {current_location?, estimated_delivery?,
        note?, carrier?, tracking_number?}."""
        order_id = load(OrderIdSchema(), {"order_id": order_id})["order_id"]
        with self.db.transaction() as session:
            order = fulfilment.add_tracking(session, self.outbox, load(ActorSchema(), actor),
                                            order_id, update)
            return queries.tracking_of(session, order)

    @rpc
    def list_abandoned_carts(self, actor, filters=None):
        """Staff: carts left idle (cart.abandoned), newest first, and whether an order won
        them back: {items, next_before_id}."""
        fulfilment.require_staff(load(ActorSchema(), actor))
        filters = load(AbandonedCartsSchema(), filters or {})
        return abandoned.list_abandoned(self.db.session, filters)

    # --- the saga ---------------------------------------------------------------------------

    @stream_handler("payment_events", group=CONSUMER)
    def on_payment_event(self, event):
        """payment.completed → paid, payment.failed → payment_failed, fraud.detected → held
        for review, refund.processed → refunded; then the follow-up calls."""
        self.saga.handle_payment_event(event)

    @stream_handler("cart_events", group=CONSUMER)
    def on_cart_event(self, event):
        if event["type"] != abandoned.CART_ABANDONED:
            return
        with self.db.transaction() as session:
            if first_time(session, event):
                abandoned.record(session, event)

    @settings_timer(OrderSettings, "sweep_interval_s")
    def sweep(self):
        """Finish or compensate orders stuck past their deadline; redo missing follow-ups."""
        Sweeper(self.db.transaction, self.saga, self.settings).sweep()
