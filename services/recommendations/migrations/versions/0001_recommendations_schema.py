"""recommendations schema: the seed's five tables, the catalog projection, order_purchases,
processed_events, outbox

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


def _ts(name, **kw):
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def _json(name, default):
    return sa.Column(name, JSONB, nullable=False, server_default=sa.text(f"'{default}'::jsonb"))


def upgrade():
    op.create_table(
        "user_preferences",
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        _json("categories", "{}"),
        _json("brands", "{}"),
        sa.Column("price_band", sa.Integer),
        sa.Column("interactions", sa.Integer, nullable=False, server_default="0"),
        _ts("updated_at", nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "product_recommendations",
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("product_id", sa.BigInteger, primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("model_version", sa.Integer),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "user_interactions",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("event_id", UUID(as_uuid=False), nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("product_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        _ts("occurred_at", nullable=False),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
    )
    # One row per event and product (an order names several products): replays add nothing.
    op.create_index("ux_user_interactions_event_product", "user_interactions",
                    ["event_id", "product_id"], unique=True)
    op.create_index("ix_user_interactions_user", "user_interactions", ["user_id", "occurred_at"])
    op.create_index("ix_user_interactions_time", "user_interactions", ["occurred_at"])
    op.create_table(
        "recommendation_models",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, unique=True),
        sa.Column("accuracy", sa.Float),
        _json("metrics", "{}"),
        _json("params", "{}"),
        sa.Column("artifact", sa.LargeBinary, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default="false"),
        _ts("activated_at"),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
    )
    # At most one active model, whatever two activations racing do.
    op.create_index("ux_recommendation_models_active", "recommendation_models", ["is_active"],
                    unique=True, postgresql_where=sa.text("is_active"))
    op.create_table(
        "recommendation_feedback",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("product_id", sa.BigInteger, nullable=False),
        sa.Column("surface", sa.String(20), nullable=False),
        sa.Column("model_version", sa.Integer, nullable=False),
        sa.Column("recommended", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("clicked", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("purchased", sa.Boolean, nullable=False, server_default="false"),
        _ts("recommended_at", nullable=False, server_default=sa.func.now()),
        _ts("clicked_at"),
        _ts("purchased_at"),
    )
    op.create_index("ux_recommendation_feedback_shown", "recommendation_feedback",
                    ["user_id", "product_id", "surface", "model_version"], unique=True)
    op.create_index("ix_recommendation_feedback_version", "recommendation_feedback",
                    ["model_version"])
    op.create_table(
        "catalog_items",
        sa.Column("product_id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(220), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("brand", JSONB, nullable=False),
        sa.Column("category", JSONB, nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("image_url", sa.String(500)),
        _json("sizes", "[]"),
        _json("colours", "[]"),
        _json("stock", "{}"),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("rating_count", sa.Integer, nullable=False, server_default="0"),
        _ts("updated_at", nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "order_purchases",
        sa.Column("order_id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("product_ids", JSONB),
        sa.Column("paid", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("cancelled", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("counted", sa.Boolean, nullable=False, server_default="false"),
        _ts("updated_at", nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("consumer", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        _ts("processed_at", nullable=False, server_default=sa.func.now()),
    )
    create_outbox_table(op)


def downgrade():
    for table in ("outbox", "processed_events", "order_purchases", "catalog_items", "recommendation_feedback",
                  "recommendation_models", "user_interactions", "product_recommendations",
                  "user_preferences"):
        op.drop_table(table)
