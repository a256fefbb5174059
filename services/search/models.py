"""The search service's tables (search_db).

search_queries     every search a shopper ran (the seed's table): who, what, how many results
search_analytics   per search: its filters, the product ids shown, and the one clicked (if any)
search_trends      the daily rollup: how often each normalised query ran on a day
product_popularity views per product, counted once per product.viewed event
shopper_affinities what a signed-in shopper viewed, carted and bought, by brand/category/size
processed_events   (event_id, consumer): each stream event is acted on once
outbox             the kit's transactional outbox (search.query, search.result.clicked, …)
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import created_at as _now
from kit.db import processed_event_model
from kit.outbox import outbox_table

AFFINITY_KINDS = ("brand", "category", "size")


class Base(DeclarativeBase):
    pass


class SearchQuery(Base):
    __tablename__ = "search_queries"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    search_id: Mapped[str] = mapped_column(UUID(as_uuid=False), nullable=False, unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    query: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    results_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    timestamp = _now()


class SearchAnalytics(Base):
    __tablename__ = "search_analytics"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    search_id: Mapped[str] = mapped_column(UUID(as_uuid=False), nullable=False, unique=True)
    query: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    filters = mapped_column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    results = mapped_column(JSONB, nullable=False, server_default=sa.text("'[]'::jsonb"))
    clicked_result: Mapped[int | None] = mapped_column(sa.BigInteger)
    clicked_position: Mapped[int | None] = mapped_column(sa.Integer)
    clicked_at = mapped_column(sa.DateTime(timezone=True))


class SearchTrend(Base):
    __tablename__ = "search_trends"
    __table_args__ = (sa.UniqueConstraint("query", "date", name="uq_search_trends_query_date"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    query: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    frequency: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    date = mapped_column(sa.Date, nullable=False)


class ProductPopularity(Base):
    __tablename__ = "product_popularity"

    product_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    views: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)


class ShopperAffinity(Base):
    __tablename__ = "shopper_affinities"

    user_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    weight = mapped_column(sa.Float, nullable=False, default=0)
    updated_at = _now()


ProcessedEvent = processed_event_model(Base, consumer_length=50)  # as migration 0001


outbox = outbox_table(Base.metadata)
