"""users schema: users, user_sessions, user_follows, user_blocks, user_activities, outbox

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


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("username", sa.String(30), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("full_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(20), nullable=False, server_default="customer"),
        sa.Column("bio", sa.String(500)),
        sa.Column("avatar_url", sa.String(500)),
        sa.Column("phone", sa.String(20)),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("is_online", sa.Boolean, nullable=False, server_default=sa.false()),
        _ts("last_seen"),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
        _ts("updated_at", nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("role IN ('customer', 'support', 'admin')", name="ck_users_role"),
    )
    # Case-insensitive uniqueness: "A@x.com" and "a@x.com" are one account.
    op.create_index("ux_users_email", "users", [sa.text("lower(email)")], unique=True)
    op.create_index("ux_users_username", "users", [sa.text("lower(username)")], unique=True)

    op.create_table(
        "user_sessions",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("refresh_token_hash", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(300)),
        sa.Column("ip_address", sa.String(64)),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
        _ts("last_used_at"),
        _ts("expires_at", nullable=False),
        _ts("revoked_at"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])

    for table, left, right in (("user_follows", "follower_id", "followee_id"),
                               ("user_blocks", "blocker_id", "blocked_id")):
        op.create_table(
            table,
            sa.Column(left, sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"),
                      primary_key=True),
            sa.Column(right, sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"),
                      primary_key=True),
            _ts("created_at", nullable=False, server_default=sa.func.now()),
            sa.CheckConstraint(f"{left} <> {right}", name=f"ck_{table}_not_self"),
        )
        op.create_index(f"ix_{table}_{right}", table, [right])

    op.create_table(
        "user_activities",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("activity_type", sa.String(50), nullable=False),
        sa.Column("data", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_user_activities_user_id_id", "user_activities", ["user_id", "id"])

    create_outbox_table(op)


def downgrade():
    for table in ("outbox", "user_activities", "user_blocks", "user_follows", "user_sessions",
                  "users"):
        op.drop_table(table)
