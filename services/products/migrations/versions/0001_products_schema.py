"""products schema: catalog, variants and stock ledger, reservations, reviews, views, outbox

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from kit.outbox import create_outbox_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

CURRENCY_CHECK = "currency IN ('INR', 'USD', 'EUR', 'GBP')"


def _ts(name, **kw):
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def _created():
    return _ts("created_at", nullable=False, server_default=sa.func.now())


def _updated():
    return _ts("updated_at", nullable=False, server_default=sa.func.now())


def _fk(name, target, **kw):
    return sa.Column(name, sa.BigInteger, sa.ForeignKey(target, **kw), nullable=False)


def upgrade():
    op.create_table(
        "categories",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("parent_id", sa.BigInteger,
                  sa.ForeignKey("categories.id", ondelete="RESTRICT")),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False, unique=True),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        _created(),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="ck_categories_not_self"),
    )
    op.create_index("ix_categories_parent_id", "categories", ["parent_id"])

    op.create_table(
        "brands",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False, unique=True),
        sa.Column("description", sa.Text),
        sa.Column("logo_url", sa.String(500)),
        _created(),
    )

    op.create_table(
        "products",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(220), nullable=False, unique=True),
        sa.Column("description", sa.Text),
        _fk("brand_id", "brands.id"),
        _fk("category_id", "categories.id"),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="INR"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("rating_avg", sa.Numeric(3, 2), nullable=False, server_default="0"),
        sa.Column("rating_count", sa.Integer, nullable=False, server_default="0"),
        _created(),
        _updated(),
        sa.CheckConstraint("price >= 0", name="ck_products_price"),
        sa.CheckConstraint(CURRENCY_CHECK, name="ck_products_currency"),
        sa.CheckConstraint("rating_avg >= 0 AND rating_avg <= 5 AND rating_count >= 0",
                           name="ck_products_rating"),
    )
    op.create_index("ix_products_brand_id", "products", ["brand_id"])
    op.create_index("ix_products_category_id", "products", ["category_id"])
    # One index per keyset sort, over active products only (what the shop lists).
    active = sa.text("is_active")
    op.create_index("ix_products_newest", "products", ["created_at", "id"], postgresql_where=active)
    op.create_index("ix_products_price", "products", ["price", "id"], postgresql_where=active)
    op.create_index("ix_products_rating", "products", ["rating_avg", "id"], postgresql_where=active)
    op.create_index("ix_products_name", "products", ["name", "id"], postgresql_where=active)

    op.create_table(
        "product_variants",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _fk("product_id", "products.id", ondelete="CASCADE"),
        sa.Column("sku", sa.String(64), nullable=False, unique=True),
        sa.Column("size", sa.String(20), nullable=False),
        sa.Column("colour", sa.String(40), nullable=False),
        sa.Column("price", sa.BigInteger),
        sa.Column("inventory_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("low_stock_threshold", sa.Integer, nullable=False, server_default="5"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        _created(),
        _updated(),
        sa.UniqueConstraint("product_id", "size", "colour",
                            name="product_variants_product_id_size_colour_key"),
        # The last line of defence against overselling: the database refuses a negative count.
        sa.CheckConstraint("inventory_count >= 0", name="ck_product_variants_inventory"),
        sa.CheckConstraint("low_stock_threshold >= 0", name="ck_product_variants_threshold"),
        sa.CheckConstraint("price IS NULL OR price >= 0", name="ck_product_variants_price"),
    )
    op.create_index("ix_product_variants_product_id", "product_variants", ["product_id"])

    op.create_table(
        "product_images",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _fk("product_id", "products.id", ondelete="CASCADE"),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("alt_text", sa.String(200)),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        _created(),
    )
    op.create_index("ix_product_images_product_id", "product_images", ["product_id", "position"])

    op.create_table(
        "product_reviews",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _fk("product_id", "products.id", ondelete="CASCADE"),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("rating", sa.SmallInteger, nullable=False),
        sa.Column("title", sa.String(150), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _created(),
        _updated(),
        sa.UniqueConstraint("product_id", "user_id",
                            name="product_reviews_product_id_user_id_key"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_product_reviews_rating"),
    )
    op.create_index("ix_product_reviews_product_id_id", "product_reviews", ["product_id", "id"])

    op.create_table(
        "product_view_history",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _fk("product_id", "products.id", ondelete="CASCADE"),
        sa.Column("user_id", sa.BigInteger),
        sa.Column("session_id", sa.String(100)),
        _ts("viewed_at", nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_product_view_history_product_id", "product_view_history",
                    ["product_id", "viewed_at"])
    op.create_index("ix_product_view_history_user_id", "product_view_history",
                    ["user_id", "viewed_at"], postgresql_where=sa.text("user_id IS NOT NULL"))

    op.create_table(
        "inventory_logs",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _fk("variant_id", "product_variants.id"),
        _fk("product_id", "products.id"),
        sa.Column("old_quantity", sa.Integer, nullable=False),
        sa.Column("new_quantity", sa.Integer, nullable=False),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("order_ref", sa.String(64)),
        sa.Column("actor_id", sa.BigInteger),
        _created(),
        sa.CheckConstraint("new_quantity = old_quantity + delta", name="ck_inventory_logs_delta"),
        sa.CheckConstraint("new_quantity >= 0 AND old_quantity >= 0",
                           name="ck_inventory_logs_not_negative"),
    )
    op.create_index("ix_inventory_logs_variant_id", "inventory_logs", ["variant_id", "id"])
    op.create_index("ix_inventory_logs_order_ref", "inventory_logs", ["order_ref"],
                    postgresql_where=sa.text("order_ref IS NOT NULL"))

    op.create_table(
        "inventory_reservations",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("order_ref", sa.String(64), nullable=False),
        _fk("variant_id", "product_variants.id"),
        _fk("product_id", "products.id"),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="reserved"),
        _created(),
        _updated(),
        # A second reserve for the same order can never hold the same variant twice.
        sa.UniqueConstraint("order_ref", "variant_id",
                            name="inventory_reservations_order_ref_variant_id_key"),
        sa.CheckConstraint("quantity > 0", name="ck_inventory_reservations_quantity"),
        sa.CheckConstraint("status IN ('reserved', 'committed', 'released')",
                           name="ck_inventory_reservations_status"),
    )
    # For a sweeper that releases reservations an order never committed.
    op.create_index("ix_inventory_reservations_open", "inventory_reservations", ["created_at"],
                    postgresql_where=sa.text("status = 'reserved'"))

    create_outbox_table(op)


def downgrade():
    for table in ("outbox", "inventory_reservations", "inventory_logs", "product_view_history",
                  "product_reviews", "product_images", "product_variants", "products", "brands",
                  "categories"):
        op.drop_table(table)
