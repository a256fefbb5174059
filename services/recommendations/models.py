"""The recommendations service's tables (recommendations_db).

user_preferences           each shopper's taste profile, rebuilt from their interactions:
                           weight per category and brand, their price band, interaction count
product_recommendations    the last list made for a shopper: (user_id, product_id, score,
                           reason, rank) with the model version that made it
user_interactions          views, add-to-carts, purchases, reviews, search clicks as weighted
                           implicit feedback, one row per event id
recommendation_models      trained models: name, version, accuracy (hybrid precision@10),
                           every offline metric, the learned arrays, is_active (at most one)
recommendation_feedback    one row per product shown to a shopper on a surface by a model
                           version: recommended_at, clicked_at, purchased_at
catalog_items              what we know of the catalog (a projection: the products service's
                           RPC at train time, then product_events): text, brand, category,
                           price, stock per variant
order_purchases            what we heard of each order (items, paid, cancelled): a purchase
                           counts once the order is paid, never if it was cancelled
processed_events           (event_id, consumer): each stream event is acted on once
outbox                     the kit's transactional outbox
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import created_at as _created_at
from kit.db import processed_event_model
from kit.db import timestamp as _ts
from kit.outbox import outbox_table

INTERACTION_KINDS = ("view", "cart", "purchase", "review", "search_click", "rec_click")


class Base(DeclarativeBase):
    pass


class UserPreference(Base):
    __tablename__ = "user_preferences"

    user_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    categories = mapped_column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    brands = mapped_column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    price_band: Mapped[int | None] = mapped_column(sa.Integer)
    interactions: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    updated_at = _created_at()


class ProductRecommendation(Base):
    __tablename__ = "product_recommendations"

    user_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    score: Mapped[float] = mapped_column(sa.Float, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    rank: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    model_version: Mapped[int | None] = mapped_column(sa.Integer)
    created_at = _created_at()


class UserInteraction(Base):
    __tablename__ = "user_interactions"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    event_id: Mapped[str] = mapped_column(UUID(as_uuid=False), nullable=False)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    product_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    weight: Mapped[float] = mapped_column(sa.Float, nullable=False)
    occurred_at = _ts(nullable=False)
    created_at = _created_at()


class RecommendationModel(Base):
    __tablename__ = "recommendation_models"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, unique=True)
    accuracy: Mapped[float | None] = mapped_column(sa.Float)
    metrics = mapped_column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    params = mapped_column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    artifact: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default="false")
    activated_at = _ts()
    created_at = _created_at()


class RecommendationFeedback(Base):
    __tablename__ = "recommendation_feedback"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    product_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    surface: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    model_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # 0: no model
    recommended: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default="true")
    clicked: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default="false")
    purchased: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default="false")
    recommended_at = _created_at()
    clicked_at = _ts()
    purchased_at = _ts()


class CatalogItem(Base):
    __tablename__ = "catalog_items"

    product_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(220), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    brand = mapped_column(JSONB, nullable=False)           # {id, name, slug}
    category = mapped_column(JSONB, nullable=False)        # {id, name, slug, path[slugs]}
    price: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    image_url: Mapped[str | None] = mapped_column(sa.String(500))
    sizes = mapped_column(JSONB, nullable=False, server_default=sa.text("'[]'::jsonb"))
    colours = mapped_column(JSONB, nullable=False, server_default=sa.text("'[]'::jsonb"))
    stock = mapped_column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    rating_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    updated_at = _created_at()


class OrderPurchase(Base):
    __tablename__ = "order_purchases"

    order_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    product_ids = mapped_column(JSONB(none_as_null=True))  # NULL until order.created arrives
    paid: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default="false")
    cancelled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default="false")
    counted: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default="false")
    updated_at = _created_at()


ProcessedEvent = processed_event_model(Base)


OUTBOX = outbox_table(Base.metadata)
