"""The orders service's tables (orders_db): orders and their lines, address, history, tracking;
abandoned carts; and the bookkeeping of a reliable saga (outbox, processed events, keys).

An order's money is integer minor units of its one `currency`. The saga's progress is written
on the order itself: `stock_committed_at`, `stock_released_at`, `stock_returned_at`,
`cart_cleared_at` say which idempotent follow-up calls are done, and `settled_at` is set once
every follow-up the current status needs is done (NULL: the sweeper has work here).
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import created_at, processed_event_model
from kit.db import timestamp as _ts
from kit.outbox import outbox_table

CURRENCIES = ("INR", "USD", "EUR", "GBP")
STAFF_ROLES = ("support", "admin")
FROM_CART, FROM_ITEMS = "cart", "items"  # where an order's lines came from


def utcnow():
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


def _created():
    # Set in Python, so a row's times are readable after its session closed (no refresh).
    return created_at(default=utcnow)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    order_ref: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    placed_by: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    source: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    status_reason: Mapped[str | None] = mapped_column(sa.String(64))
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    subtotal_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    total_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    refunded_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    item_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    total_quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # What payments told us last (never card data: `payment_method` is type and last 4 digits).
    payment_id: Mapped[str | None] = mapped_column(sa.String(64))
    payment_status: Mapped[str | None] = mapped_column(sa.String(30))
    payment_failure_code: Mapped[str | None] = mapped_column(sa.String(64))
    payment_next_action = mapped_column(JSONB)
    payment_method = mapped_column(JSONB, nullable=False)
    held_at = _ts()
    # A cancellation of a paid order waits for its refund; so does money that arrived late.
    refund_requested_at = _ts()
    refund_reason: Mapped[str | None] = mapped_column(sa.String(64))
    refund_actor = mapped_column(JSONB)  # {user_id, role} of who cancelled; None: the system
    refund_id: Mapped[str | None] = mapped_column(sa.String(64))
    refund_completed_at = _ts()
    paid_at = _ts()
    shipped_at = _ts()
    delivered_at = _ts()
    cancelled_at = _ts()
    stock_committed_at = _ts()
    stock_released_at = _ts()
    stock_returned_at = _ts()
    cart_cleared_at = _ts()
    settled_at = _ts()
    created_at = _created()
    updated_at = _ts(nullable=False, default=utcnow, server_default=sa.func.now(),
                     onupdate=utcnow)


class OrderItem(Base):
    """A line as it was sold: price, SKU and name are copied, never looked up again."""
    __tablename__ = "order_items"
    __table_args__ = (sa.UniqueConstraint("order_id", "variant_id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          nullable=False)
    variant_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    product_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sku: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    size: Mapped[str | None] = mapped_column(sa.String(20))
    colour: Mapped[str | None] = mapped_column(sa.String(40))
    unit_price: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    line_total: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class OrderAddress(Base):
    __tablename__ = "order_addresses"
    __table_args__ = (sa.UniqueConstraint("order_id", "kind"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="shipping")
    full_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    line1: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    line2: Mapped[str | None] = mapped_column(sa.String(200))
    city: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    postal_code: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(20), nullable=False)


class OrderStatusHistory(Base):
    __tablename__ = "order_status_history"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          nullable=False)
    old_status: Mapped[str | None] = mapped_column(sa.String(20))
    new_status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.String(64))
    actor_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at = _created()


class OrderTracking(Base):
    """One row per tracking update; the newest is where the parcel is now."""
    __tablename__ = "order_tracking"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          nullable=False)
    carrier: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    tracking_number: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    current_location: Mapped[str | None] = mapped_column(sa.String(200))
    estimated_delivery = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    actor_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at = _created()


class AbandonedCart(Base):
    """One row per idle period of a cart (cart.abandoned), and the order that won it back."""
    __tablename__ = "abandoned_carts"
    __table_args__ = (sa.UniqueConstraint("cart_id", "last_touched_at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    cart_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_touched_at = _ts(nullable=False)
    idle_s: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    lines = mapped_column(JSONB, nullable=False)
    item_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    total_quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    event_id = mapped_column(UUID(as_uuid=False), nullable=False)
    abandoned_at = _ts(nullable=False)
    recovered_order_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    recovered_at = _ts()


ProcessedEvent = processed_event_model(Base, processed_at=_created())


class IdempotencyKey(Base):
    """A checkout attempt: (user, Idempotency-Key) → the body's hash, the order_ref chosen
    before any side effect, and once finished the response every repeat gets."""
    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    key: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    request_hash: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    order_ref: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    order_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    response: Mapped[str | None] = mapped_column(sa.Text)  # JSON text, kept byte for byte
    created_at = _created()
    completed_at = _ts()


outbox = outbox_table(Base.metadata)
