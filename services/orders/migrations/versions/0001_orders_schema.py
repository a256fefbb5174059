"""orders schema: orders, lines, addresses, status history, tracking, abandoned carts,
processed events, idempotency keys, outbox

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from kit.outbox import create_outbox_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = ("pending", "payment_pending", "paid", "fulfilled", "shipped", "delivered",
            "payment_failed", "cancelled", "refunded")


def _ts(name, **kw):
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def _created():
    return _ts("created_at", nullable=False, server_default=sa.func.now())


def _order_fk():
    return sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id", ondelete="CASCADE"),
                     nullable=False)


def _one_of(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("order_ref", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("placed_by", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_reason", sa.String(64)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("subtotal_amount", sa.BigInteger, nullable=False),
        sa.Column("total_amount", sa.BigInteger, nullable=False),
        sa.Column("refunded_amount", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("item_count", sa.Integer, nullable=False),
        sa.Column("total_quantity", sa.Integer, nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("payment_id", sa.String(64)),
        sa.Column("payment_status", sa.String(30)),
        sa.Column("payment_failure_code", sa.String(64)),
        sa.Column("payment_next_action", JSONB),
        sa.Column("payment_method", JSONB, nullable=False),
        _ts("held_at"),
        _ts("refund_requested_at"),
        sa.Column("refund_reason", sa.String(64)),
        sa.Column("refund_actor", JSONB),
        sa.Column("refund_id", sa.String(64)),
        _ts("refund_completed_at"),
        _ts("paid_at"),
        _ts("shipped_at"),
        _ts("delivered_at"),
        _ts("cancelled_at"),
        _ts("stock_committed_at"),
        _ts("stock_released_at"),
        _ts("stock_returned_at"),
        _ts("cart_cleared_at"),
        _ts("settled_at"),
        _created(),
        _ts("updated_at", nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(_one_of("status", STATUSES), name="ck_orders_status"),
        sa.CheckConstraint(_one_of("source", ("cart", "items")), name="ck_orders_source"),
        sa.CheckConstraint(_one_of("currency", ("INR", "USD", "EUR", "GBP")),
                           name="ck_orders_currency"),
        sa.CheckConstraint("subtotal_amount >= 0 AND total_amount = subtotal_amount",
                           name="ck_orders_totals"),
        sa.CheckConstraint("refunded_amount >= 0 AND refunded_amount <= total_amount",
                           name="ck_orders_refunded"),
        sa.CheckConstraint("item_count > 0 AND total_quantity >= item_count",
                           name="ck_orders_counts"),
    )
    op.create_index("ix_orders_user_id", "orders", ["user_id", "id"])
    op.create_index("ix_orders_status", "orders", ["status", "id"])
    # The sweeper's work list: orders whose saga still has something to do.
    op.create_index("ix_orders_unsettled", "orders", ["updated_at"],
                    postgresql_where=sa.text("settled_at IS NULL"))
    op.create_index("ix_orders_payment_held", "orders", ["id"],
                    postgresql_where=sa.text("payment_status = 'held'"))

    op.create_table(
        "order_items",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _order_fk(),
        sa.Column("variant_id", sa.BigInteger, nullable=False),
        sa.Column("product_id", sa.BigInteger, nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("size", sa.String(20)),
        sa.Column("colour", sa.String(40)),
        sa.Column("unit_price", sa.BigInteger, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("line_total", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("order_id", "variant_id", name="order_items_order_id_variant_id_key"),
        sa.CheckConstraint("quantity > 0 AND unit_price >= 0", name="ck_order_items_quantity"),
        sa.CheckConstraint("line_total = unit_price * quantity", name="ck_order_items_total"),
    )

    op.create_table(
        "order_addresses",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _order_fk(),
        sa.Column("kind", sa.String(10), nullable=False, server_default="shipping"),
        sa.Column("full_name", sa.String(120), nullable=False),
        sa.Column("line1", sa.String(200), nullable=False),
        sa.Column("line2", sa.String(200)),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("state", sa.String(100), nullable=False),
        sa.Column("postal_code", sa.String(20), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.UniqueConstraint("order_id", "kind", name="order_addresses_order_id_kind_key"),
        sa.CheckConstraint(_one_of("kind", ("shipping", "billing")),
                           name="ck_order_addresses_kind"),
        sa.CheckConstraint("country ~ '^[A-Z]{2}$'", name="ck_order_addresses_country"),
    )

    op.create_table(
        "order_status_history",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _order_fk(),
        sa.Column("old_status", sa.String(20)),
        sa.Column("new_status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(64)),
        sa.Column("actor_id", sa.BigInteger),
        _created(),
    )
    op.create_index("ix_order_status_history_order_id", "order_status_history", ["order_id", "id"])

    op.create_table(
        "order_tracking",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _order_fk(),
        sa.Column("carrier", sa.String(60), nullable=False),
        sa.Column("tracking_number", sa.String(80), nullable=False),
        sa.Column("current_location", sa.String(200)),
        sa.Column("estimated_delivery", sa.Date),
        sa.Column("note", sa.String(500)),
        sa.Column("actor_id", sa.BigInteger),
        _created(),
    )
    op.create_index("ix_order_tracking_order_id", "order_tracking", ["order_id", "id"])

    op.create_table(
        "abandoned_carts",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("cart_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger),
        _ts("last_touched_at", nullable=False),
        sa.Column("idle_s", sa.Integer, nullable=False),
        sa.Column("lines", JSONB, nullable=False),
        sa.Column("item_count", sa.Integer, nullable=False),
        sa.Column("total_quantity", sa.Integer, nullable=False),
        sa.Column("event_id", UUID(as_uuid=False), nullable=False),
        _ts("abandoned_at", nullable=False),
        sa.Column("recovered_order_id", sa.BigInteger),
        _ts("recovered_at"),
        sa.UniqueConstraint("cart_id", "last_touched_at",
                            name="abandoned_carts_cart_id_last_touched_at_key"),
    )
    op.create_index("ix_abandoned_carts_abandoned_at", "abandoned_carts", ["abandoned_at", "id"])
    # An order by the same shopper wins their open abandoned carts back.
    op.create_index("ix_abandoned_carts_open", "abandoned_carts", ["user_id"],
                    postgresql_where=sa.text("recovered_order_id IS NULL AND user_id IS NOT NULL"))

    op.create_table(
        "processed_events",
        sa.Column("event_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("consumer", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        _ts("processed_at", nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_processed_events_processed_at", "processed_events", ["processed_at"])

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(128), nullable=False),
        sa.Column("order_ref", sa.String(64), nullable=False),
        sa.Column("order_id", sa.BigInteger),
        # JSON text, not JSONB: a replay must repeat the first answer byte for byte, and
        # JSONB would reorder its keys.
        sa.Column("response", sa.Text),
        _created(),
        _ts("completed_at"),
        sa.UniqueConstraint("user_id", "key", name="idempotency_keys_user_id_key_key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    # Attempts that never finished: the sweeper releases what they may have reserved.
    op.create_index("ix_idempotency_keys_unfinished", "idempotency_keys", ["created_at"],
                    postgresql_where=sa.text("response IS NULL"))

    create_outbox_table(op)


def downgrade():
    for table in ("outbox", "idempotency_keys", "processed_events", "abandoned_carts",
                  "order_tracking", "order_status_history", "order_addresses", "order_items",
                  "orders"):
        op.drop_table(table)
