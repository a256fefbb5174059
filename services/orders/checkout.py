"""Placing an order: docs/checkout-saga.md step 1, from the cart (or staff's items) to a
payment under way.

    Checkout(...).place(actor, idempotency_key, payload, request_hash, ip)

1. Validate everything that can be validated before a side effect (422 names each field).
2. Take the Idempotency-Key's lock (idempotency.py): a finished attempt is replayed, a
   different body under the key is refused, an unfinished one is resumed with its order_ref.
3. Lines: the cart's `hold_for_checkout` (its lines, and advisory locks for the checkout) or
   staff's `items`.
4. products.reserve_stock(order_ref, lines): all or nothing, or 409 out_of_stock; it also
   prices each line (read in the reserving transaction, never from the caller).
5. One transaction: the order (pending), its lines and address, history, order.created.
6. payments.initiate_payment; what it answers is applied at once (payment_pending, or paid /
   payment_failed when the sandbox decided on the spot) and the follow-ups run (saga.settle).
   No answer in time: the order stays pending and the payment_events stream or the sweeper
   finishes it.
7. The order as it stands is stored under the key and returned.
"""
import logging
import uuid

import sqlalchemy as sa

from kit.errors import Forbidden, ServiceError
from kit.schemas import load
from services.orders import events, idempotency, lifecycle, presenters
from services.orders.dependencies import ServiceUnavailable
from services.orders.models import (FROM_CART, FROM_ITEMS, STAFF_ROLES, AbandonedCart,
                                    IdempotencyKey, Order, OrderAddress, OrderItem,
                                    OrderStatusHistory, utcnow)
from services.orders.idempotency import on
from services.orders.lines import LinesAndStock
from services.orders.saga import Saga
from services.orders.schemas import ActorSchema, CheckoutArgsSchema, CreateOrderSchema
from services.orders.status import OrderStatus as S

log = logging.getLogger(__name__)


def new_order_ref():
    return f"ord_{uuid.uuid4().hex}"


def payment_method_summary(method):
    """What the order keeps of how it was paid: never the card number, never the token."""
    if "card" in method:
        return {"type": "card", "last4": method["card"]["number"][-4:]}
    return {"type": "token"}


class Checkout(LinesAndStock):
    def __init__(self, engine, outbox, products, cart, payments):
        self.engine = engine
        self.outbox = outbox
        self.products = products
        self.cart = cart
        self.payments = payments

    def place(self, actor, idempotency_key, payload, request_hash=None, ip=None):
        args = load(CheckoutArgsSchema(), {"idempotency_key": idempotency_key,
                                           "request_hash": request_hash, "ip": ip})
        actor = load(ActorSchema(), actor)
        request = load(CreateOrderSchema(), payload)
        if "items" in request and actor["role"] not in STAFF_ROLES:
            raise Forbidden("staff_only", "Only staff may order items outside a cart.",
                            {"fields": {"items": ["Staff only."]}})
        request_hash = args["request_hash"] or idempotency.body_hash(payload)
        with idempotency.attempt(self.engine, actor["user_id"], args["idempotency_key"]) as (
                conn, record):
            resumed = record is not None
            if resumed:
                idempotency.check_same_request(record, request_hash)
                if record.response is not None:
                    return idempotency.replay(record.response)
            else:
                record = idempotency.begin(conn, actor["user_id"], args["idempotency_key"],
                                           request_hash, new_order_ref())
            return self._run(conn, record, actor, request, args["ip"], resumed)

    def _run(self, conn, record, actor, request, ip, resumed):
        saga = Saga(lambda: on(conn), self.outbox, self.products, self.cart, self.payments)
        order = None
        if resumed:  # an earlier attempt with this key died half way: carry on from there
            with on(conn) as session:
                order = lifecycle.find(session, order_ref=record.order_ref)
        if order is None:
            try:
                order = self._open(conn, record, actor, request)
            except ServiceError:
                idempotency.forget(conn, record)  # refused before anything was saved
                raise
        try:
            order = self._pay(saga, order, request, ip)
        except ServiceError as exc:
            idempotency.finish(conn, record, order.id, idempotency.failed(exc))
            raise
        with on(conn) as session:
            stored = idempotency.ok(self.present(session, order.id))
            idempotency.store(session, record, order.id, stored)
        return idempotency.replay(stored)  # the very answer every repeat will get

    # --- lines, stock, the order ------------------------------------------------------------

    def _open(self, conn, record, actor, request):
        order_ref = record.order_ref
        from_cart = "items" not in request
        wanted = self._cart_lines(actor["user_id"], order_ref) if from_cart else request["items"]
        try:
            lines = self._priced(order_ref, wanted, self._reserve(order_ref, wanted))
        except ServiceError:
            if from_cart:
                self._release_hold_quietly(order_ref)
            raise
        with on(conn) as session:
            order = self._save(session, order_ref, actor, request, lines,
                               FROM_CART if from_cart else FROM_ITEMS)
            session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == record.id)
                            .values(order_id=order.id))
        return order

    def _save(self, session, order_ref, actor, request, lines, source):
        user_id, now = actor["user_id"], utcnow()
        subtotal = sum(line["variant"]["price"] * line["quantity"] for line in lines)
        order = Order(
            order_ref=order_ref, user_id=user_id, placed_by=user_id, source=source,
            status=S.PENDING.value, currency=lines[0]["variant"]["currency"],
            subtotal_amount=subtotal, total_amount=subtotal, refunded_amount=0,
            item_count=len(lines), total_quantity=sum(line["quantity"] for line in lines),
            notes=request.get("notes"),
            payment_method=payment_method_summary(request["payment_method"]),
            created_at=now, updated_at=now)
        session.add(order)
        session.flush()
        items = [OrderItem(order_id=order.id, variant_id=line["variant_id"],
                           product_id=line["variant"]["product_id"], sku=line["variant"]["sku"],
                           name=line["variant"]["name"], size=line["variant"].get("size"),
                           colour=line["variant"].get("colour"),
                           unit_price=line["variant"]["price"], quantity=line["quantity"],
                           line_total=line["variant"]["price"] * line["quantity"])
                 for line in lines]
        address = OrderAddress(order_id=order.id, kind="shipping", **request["shipping_address"])
        session.add_all([*items, address, OrderStatusHistory(
            order_id=order.id, old_status=None, new_status=S.PENDING.value, reason="placed",
            actor_id=user_id, created_at=now)])
        self.outbox.add(session, events.ORDER_CREATED, events.order_created(order, items, address))
        if source == FROM_CART:  # this shopper's abandoned carts came back
            session.execute(sa.update(AbandonedCart).where(
                AbandonedCart.user_id == user_id, AbandonedCart.recovered_order_id.is_(None))
                .values(recovered_order_id=order.id, recovered_at=now))
        return order

    # --- payment ----------------------------------------------------------------------------

    def _pay(self, saga, order, request, ip):
        if order.status != S.PENDING.value or order.payment_id is not None:
            return order  # a resumed attempt whose payment is already under way
        try:
            payment = self.payments.initiate_payment(
                order.order_ref, order.id, order.user_id, order.total_amount, order.currency,
                request["payment_method"], ip=ip,
                shipping_address=request["shipping_address"], billing_address=None)
        except ServiceUnavailable as exc:
            log.warning("order %s stays pending: %s", order.order_ref, exc)
            return order
        except ServiceError:
            # payments refused this payment outright: nothing will ever pay this order
            saga.expire(order, "payment_rejected")
            raise
        return saga.settle(saga.record_payment(order.order_ref, payment) or order)

    @staticmethod
    def present(session, order_id):
        order = lifecycle.find(session, order_id=order_id)
        items, places = lifecycle.lines_and_address(session, [order.id])
        return presenters.order(order, items.get(order.id, []), places.get(order.id))

    def _release_hold_quietly(self, order_ref):
        try:
            self.cart.release_hold(order_ref)
        except (ServiceError, ServiceUnavailable) as exc:  # advisory locks expire by themselves
            log.info("hold of %s not released: %s", order_ref, exc)
