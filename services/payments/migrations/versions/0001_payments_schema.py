"""payments schema: payments, saved methods, provider attempts, refunds, fraud flags,
processed webhooks, outbox

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from kit.outbox import create_outbox_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

CURRENCY_CHECK = "currency IN ('INR', 'USD', 'EUR', 'GBP')"
PAYMENT_STATUSES = ("initiated", "held", "pending", "requires_action", "authorized",
                    "completed", "failed", "cancelled")
# Payments the sweeper may still have to move (see services/payments/sweeper.py).
OPEN_STATUSES = ("initiated", "held", "pending", "requires_action", "authorized")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ts(name, **kw):
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def _created(name="created_at"):
    return _ts(name, nullable=False, server_default=sa.func.now())


def upgrade():
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("provider_token", sa.String(64), nullable=False, unique=True),
        sa.Column("brand", sa.String(20), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("exp_month", sa.SmallInteger, nullable=False),
        sa.Column("exp_year", sa.SmallInteger, nullable=False),
        _created(),
        sa.CheckConstraint("last4 ~ '^[0-9]{4}$'", name="ck_payment_methods_last4"),
        sa.CheckConstraint("exp_month BETWEEN 1 AND 12", name="ck_payment_methods_exp_month"),
    )
    op.create_index("ix_payment_methods_user_id", "payment_methods", ["user_id", "created_at"])

    op.create_table(
        "payments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("order_ref", sa.String(64), nullable=False, unique=True),
        sa.Column("order_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("failure_code", sa.String(64)),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("provider_token", sa.String(64), nullable=False),
        sa.Column("provider_ref", sa.String(64), unique=True),
        sa.Column("payment_method_id", sa.String(40),
                  sa.ForeignKey("payment_methods.id", ondelete="SET NULL")),
        sa.Column("card_brand", sa.String(20), nullable=False),
        sa.Column("card_last4", sa.String(4), nullable=False),
        sa.Column("card_fingerprint", sa.String(64)),
        sa.Column("ip_address", sa.String(64)),
        sa.Column("billing_country", sa.String(2)),
        sa.Column("shipping_country", sa.String(2)),
        sa.Column("next_action", JSONB),
        sa.Column("captured_amount", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("refunded_amount", sa.BigInteger, nullable=False, server_default="0"),
        _ts("lease_until"),
        _ts("held_at"),
        _ts("completed_at"),
        _ts("failed_at"),
        _ts("cancelled_at"),
        _created(),
        _created("updated_at"),
        sa.CheckConstraint("amount > 0", name="ck_payments_amount"),
        sa.CheckConstraint(CURRENCY_CHECK, name="ck_payments_currency"),
        sa.CheckConstraint(_in("status", PAYMENT_STATUSES), name="ck_payments_status"),
        # Money can never be refunded twice or captured beyond the order.
        sa.CheckConstraint("captured_amount >= 0 AND captured_amount <= amount",
                           name="ck_payments_captured"),
        sa.CheckConstraint("refunded_amount >= 0 AND refunded_amount <= captured_amount",
                           name="ck_payments_refunded"),
    )
    op.create_index("ix_payments_user_id", "payments", ["user_id", "created_at"])
    # The velocity checks count recent payments by IP and by card.
    op.create_index("ix_payments_ip_address", "payments", ["ip_address", "created_at"],
                    postgresql_where=sa.text("ip_address IS NOT NULL"))
    op.create_index("ix_payments_card_fingerprint", "payments", ["card_fingerprint", "created_at"],
                    postgresql_where=sa.text("card_fingerprint IS NOT NULL"))
    op.create_index("ix_payments_open", "payments", ["status", "updated_at"],
                    postgresql_where=sa.text(_in("status", OPEN_STATUSES)))

    op.create_table(
        "refunds",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("payment_id", sa.String(40), sa.ForeignKey("payments.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
        sa.Column("provider_ref", sa.String(64)),
        sa.Column("failure_code", sa.String(64)),
        sa.Column("requested_by", sa.BigInteger),
        sa.Column("requested_by_role", sa.String(20)),
        _ts("lease_until"),
        _created(),
        _ts("processed_at"),
        sa.CheckConstraint("amount > 0", name="ck_refunds_amount"),
        sa.CheckConstraint(CURRENCY_CHECK, name="ck_refunds_currency"),
        sa.CheckConstraint("status IN ('pending', 'processed', 'failed')",
                           name="ck_refunds_status"),
    )
    op.create_index("ix_refunds_payment_id", "refunds", ["payment_id", "created_at"])
    op.create_index("ix_refunds_pending", "refunds", ["created_at"],
                    postgresql_where=sa.text("status = 'pending'"))

    op.create_table(
        "payment_attempts",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("payment_id", sa.String(40), sa.ForeignKey("payments.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("refund_id", sa.String(40), sa.ForeignKey("refunds.id", ondelete="CASCADE")),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("provider_ref", sa.String(64)),
        sa.Column("error", sa.String(64)),
        sa.Column("error_message", sa.String(300)),
        sa.Column("latency_ms", sa.Integer),
        _created("started_at"),
        _ts("finished_at"),
        sa.CheckConstraint("kind IN ('authorize', 'capture', 'void', 'refund')",
                           name="ck_payment_attempts_kind"),
        sa.CheckConstraint("status IN ('started', 'succeeded', 'declined', 'requires_action', "
                           "'timeout', 'error')", name="ck_payment_attempts_status"),
        sa.CheckConstraint("latency_ms IS NULL OR latency_ms >= 0",
                           name="ck_payment_attempts_latency"),
    )
    op.create_index("ix_payment_attempts_payment_id", "payment_attempts", ["payment_id", "id"])
    op.create_index("ix_payment_attempts_refund_id", "payment_attempts", ["refund_id"],
                    postgresql_where=sa.text("refund_id IS NOT NULL"))

    op.create_table(
        "fraud_flags",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("payment_id", sa.String(40), sa.ForeignKey("payments.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("risk_score", sa.SmallInteger, nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("reviewed_by", sa.BigInteger),
        _ts("reviewed_at"),
        _created(),
        sa.CheckConstraint("risk_score BETWEEN 0 AND 100", name="ck_fraud_flags_risk_score"),
        sa.CheckConstraint("decision IN ('allow', 'hold', 'approved', 'rejected', 'expired')",
                           name="ck_fraud_flags_decision"),
    )
    op.create_index("ix_fraud_flags_user_id", "fraud_flags", ["user_id", "created_at"])
    op.create_index("ix_fraud_flags_awaiting_review", "fraud_flags", ["created_at"],
                    postgresql_where=sa.text("decision = 'hold'"))

    op.create_table(
        "processed_webhooks",
        sa.Column("event_id", sa.String(100), primary_key=True),
        sa.Column("event_type", sa.String(60), nullable=False),
        sa.Column("payment_id", sa.String(40)),
        _created("received_at"),
    )

    create_outbox_table(op)


def downgrade():
    for table in ("outbox", "processed_webhooks", "fraud_flags", "payment_attempts", "refunds",
                  "payments", "payment_methods"):
        op.drop_table(table)
