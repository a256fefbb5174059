"""The products service's tables (products_db): the catalog, its stock ledger, reviews and views.

`ProductVariant.inventory_count` is the stock truth: units available to sell right now
(units held by a reservation have already left it). Every change to it writes an
`InventoryLog` row, so the ledger's deltas always sum to the count.
"""
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import created_at
from kit.outbox import outbox_table

# Money is integer minor units plus one of these ISO 4217 codes.
CURRENCIES = ("INR", "USD", "EUR", "GBP")
DEFAULT_CURRENCY = "INR"

STAFF_ROLES = ("support", "admin")

RESERVED, COMMITTED, RELEASED = "reserved", "committed", "released"
RESERVATION_STATUSES = (RESERVED, COMMITTED, RELEASED)


class Base(DeclarativeBase):
    pass


def _created():
    return created_at()


def _updated():
    return created_at(onupdate=sa.func.now())


class Category(Base):
    """A node of the category tree (Men → Topwear → T-Shirts); a root has no parent."""
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(120), nullable=False, unique=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    created_at = _created()


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(120), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    logo_url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at = _created()


class Product(Base):
    """A sellable style. `price` is the list price shown on cards, filtered and sorted on;
    a variant may override it. `rating_avg`/`rating_count` are kept in step with the reviews
    (same transaction) so the catalog can sort by rating with a keyset."""
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(220), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    brand_id: Mapped[int] = mapped_column(sa.ForeignKey("brands.id"), nullable=False)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), nullable=False)
    price: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default=DEFAULT_CURRENCY)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    rating_avg = mapped_column(sa.Numeric(3, 2), nullable=False, default=0)
    rating_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    created_at = _created()
    updated_at = _updated()


class ProductVariant(Base):
    """One size × colour of a product, with its own SKU and stock."""
    __tablename__ = "product_variants"
    __table_args__ = (sa.UniqueConstraint("product_id", "size", "colour"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    sku: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    size: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    colour: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    price: Mapped[int | None] = mapped_column(sa.BigInteger)  # None: the product's price
    inventory_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    low_stock_threshold: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=5)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at = _created()
    updated_at = _updated()


class ProductImage(Base):
    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    url: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    alt_text: Mapped[str | None] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    created_at = _created()


class ProductReview(Base):
    """One review per shopper per product."""
    __tablename__ = "product_reviews"
    __table_args__ = (sa.UniqueConstraint("product_id", "user_id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            nullable=False)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    rating: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(150), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at = _created()
    updated_at = _updated()


class ProductView(Base):
    __tablename__ = "product_view_history"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    session_id: Mapped[str | None] = mapped_column(sa.String(100))
    viewed_at = _created()


class InventoryLog(Base):
    """The stock ledger: one row per change of a variant's inventory_count."""
    __tablename__ = "inventory_logs"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("product_variants.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False)
    old_quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    new_quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    delta: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    order_ref: Mapped[str | None] = mapped_column(sa.String(64))
    actor_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at = _created()


class InventoryReservation(Base):
    """Units held for an order: reserved → committed (sold) or released (back on the shelf)."""
    __tablename__ = "inventory_reservations"
    __table_args__ = (sa.UniqueConstraint("order_ref", "variant_id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    order_ref: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("product_variants.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default=RESERVED)
    created_at = _created()
    updated_at = _updated()


outbox = outbox_table(Base.metadata)
