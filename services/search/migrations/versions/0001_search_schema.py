"""search schema: the seed's search_queries, search_analytics, search_trends; product popularity,
shopper affinities (personal ranking), processed_events, outbox

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



def upgrade():
    op.create_table(
        "search_queries",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("search_id", UUID(as_uuid=False), nullable=False, unique=True),
        sa.Column("user_id", sa.BigInteger),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("results_count", sa.Integer, nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("ix_search_queries_timestamp", "search_queries", ["timestamp"])
    op.create_index("ix_search_queries_user", "search_queries", ["user_id", "timestamp"])
    op.create_table(
        "search_analytics",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("search_id", UUID(as_uuid=False), nullable=False, unique=True),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("filters", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("results", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("clicked_result", sa.BigInteger),
        sa.Column("clicked_position", sa.Integer),
        sa.Column("clicked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "search_trends",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("frequency", sa.Integer, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.UniqueConstraint("query", "date", name="uq_search_trends_query_date"),
    )
    op.create_index("ix_search_trends_date", "search_trends", ["date", "frequency"])
    op.create_table(
        "product_popularity",
        sa.Column("product_id", sa.BigInteger, primary_key=True),
        sa.Column("views", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "shopper_affinities",
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("value", sa.String(120), primary_key=True),
        sa.Column("weight", sa.Float, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("kind IN ('brand', 'category', 'size')", name="ck_affinity_kind"),
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("consumer", sa.String(50), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    create_outbox_table(op)


def downgrade():
    for table in ("outbox", "processed_events", "shopper_affinities", "product_popularity",
                  "search_trends", "search_analytics", "search_queries"):
        op.drop_table(table)
