"""support chat (conversations, messages, read markers) and promotions

A shopper has at most one conversation that is not closed (a partial unique index, so two
"open a chat" taps at once still make one). Promotions carry when their promotion.started and
promotion.ended events were written, which is how replicas agree that each goes out once.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MAX_CHAT_BODY = 4000


def _ts(name, **kw):
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def upgrade():
    op.create_table(
        "chat_conversations",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("customer_id", sa.BigInteger, nullable=False),
        sa.Column("agent_id", sa.BigInteger),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
        _ts("updated_at", nullable=False, server_default=sa.func.now()),
        _ts("closed_at"),
        sa.Column("closed_by", sa.BigInteger),
        sa.CheckConstraint("status IN ('open', 'assigned', 'closed')",
                           name="ck_chat_conversations_status"),
        # open has no agent; assigned has one; closed keeps whoever had it (or nobody).
        sa.CheckConstraint("(status = 'open') = (agent_id IS NULL) OR status = 'closed'",
                           name="ck_chat_conversations_agent"),
    )
    op.create_index("ux_chat_conversations_one_live", "chat_conversations", ["customer_id"],
                    unique=True, postgresql_where=sa.text("status <> 'closed'"))
    op.create_index("ix_chat_conversations_customer", "chat_conversations",
                    ["customer_id", "id"])
    op.create_index("ix_chat_conversations_agent", "chat_conversations", ["agent_id", "id"],
                    postgresql_where=sa.text("status = 'assigned'"))
    # The queue agents claim from, oldest first.
    op.create_index("ix_chat_conversations_waiting", "chat_conversations", ["id"],
                    postgresql_where=sa.text("status = 'open'"))

    op.create_table(
        "chat_messages",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("conversation_id", sa.BigInteger,
                  sa.ForeignKey("chat_conversations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sender_id", sa.BigInteger, nullable=False),
        sa.Column("sender_role", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("sender_role IN ('customer', 'agent')",
                           name="ck_chat_messages_sender_role"),
        sa.CheckConstraint(f"char_length(body) BETWEEN 1 AND {MAX_CHAT_BODY}",
                           name="ck_chat_messages_body"),
    )
    op.create_index("ix_chat_messages_conversation_id", "chat_messages",
                    ["conversation_id", "id"])

    op.create_table(
        "chat_reads",
        sa.Column("conversation_id", sa.BigInteger,
                  sa.ForeignKey("chat_conversations.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("last_read_message_id", sa.BigInteger, nullable=False),
        _ts("updated_at", nullable=False, server_default=sa.func.now()),
    )

    op.create_table(
        "promotions",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("code", sa.String(40)),
        sa.Column("discount_percent", sa.SmallInteger),
        sa.Column("discount_amount", sa.BigInteger),
        sa.Column("currency", sa.String(3)),
        _ts("starts_at", nullable=False),
        _ts("ends_at", nullable=False),
        sa.Column("product_ids", ARRAY(sa.BigInteger)),
        sa.Column("category", sa.String(120)),
        sa.Column("created_by", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.BigInteger),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
        _ts("updated_at", nullable=False, server_default=sa.func.now()),
        _ts("ended_at"),
        sa.Column("ended_by", sa.BigInteger),
        _ts("started_event_at"),
        _ts("ended_event_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_promotions_window"),
        sa.CheckConstraint(
            "(discount_percent IS NOT NULL AND discount_amount IS NULL AND currency IS NULL "
            "AND discount_percent BETWEEN 1 AND 90) OR "
            "(discount_percent IS NULL AND discount_amount > 0 AND currency IS NOT NULL)",
            name="ck_promotions_discount"),
        sa.CheckConstraint("product_ids IS NULL OR category IS NULL",
                           name="ck_promotions_target"),
    )
    # A code names one promotion until that one is over; then it may be used again.
    op.create_index("ux_promotions_code", "promotions", [sa.text("upper(code)")], unique=True,
                    postgresql_where=sa.text("code IS NOT NULL AND ended_event_at IS NULL"))
    # What the clock scans every second: only promotions with an announcement still due.
    op.create_index("ix_promotions_start_due", "promotions", ["starts_at"],
                    postgresql_where=sa.text("started_event_at IS NULL AND ended_at IS NULL"))
    op.create_index("ix_promotions_end_due", "promotions", ["ends_at"],
                    postgresql_where=sa.text("ended_event_at IS NULL"))


def downgrade():
    for table in ("promotions", "chat_reads", "chat_messages", "chat_conversations"):
        op.drop_table(table)
