"""The payments service's tables (payments_db).

payments            one per order (order_ref unique): amount, status, the card's brand/last4,
                    what the provider calls it (provider_ref), captured and refunded amounts
payment_methods     a shopper's saved cards: the provider's token, brand, last4, expiry. Never
                    the card number, never the CVC (those live only in the provider's vault)
payment_attempts    every call to the provider: authorize, capture, void, refund, with its
                    outcome, error and latency
refunds             full or partial; idempotency_key unique, so a retried refund is one refund
fraud_flags         the risk score and reasons of every scored payment, and its review
processed_webhooks  provider event ids already applied (replay protection)
outbox              events waiting for the relay (kit.outbox)

Money is integer minor units plus an ISO currency. Migrations are hand-written in
migrations/versions and must match these declarations.
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import created_at as _now_column
from kit.outbox import outbox_table

CURRENCIES = ("INR", "USD", "EUR", "GBP")
STAFF_ROLES = ("support", "admin")
SYSTEM_ROLE = "system"

# payment_attempts.kind
AUTHORIZE, CAPTURE, VOID, REFUND = "authorize", "capture", "void", "refund"
ATTEMPT_KINDS = (AUTHORIZE, CAPTURE, VOID, REFUND)
# payment_attempts.status: `started` until the call returns (a crash leaves it so; the sweeper
# then counts it as timed out).
STARTED, SUCCEEDED, DECLINED, REQUIRES_ACTION, TIMEOUT, ERROR = (
    "started", "succeeded", "declined", "requires_action", "timeout", "error")
ATTEMPT_STATUSES = (STARTED, SUCCEEDED, DECLINED, REQUIRES_ACTION, TIMEOUT, ERROR)

# refunds.status
REFUND_PENDING, REFUND_PROCESSED, REFUND_FAILED = "pending", "processed", "failed"
REFUND_STATUSES = (REFUND_PENDING, REFUND_PROCESSED, REFUND_FAILED)

# fraud_flags.decision: allow/hold when scored; a hold becomes approved, rejected or expired.
ALLOW, HOLD, APPROVED, REJECTED, EXPIRED = "allow", "hold", "approved", "rejected", "expired"
FRAUD_DECISIONS = (ALLOW, HOLD, APPROVED, REJECTED, EXPIRED)


class Base(DeclarativeBase):
    pass


class PaymentMethod(Base):
    __tablename__ = "payment_methods"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    provider_token: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    brand: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    last4: Mapped[str] = mapped_column(sa.String(4), nullable=False)
    exp_month: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    exp_year: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    created_at = _now_column()


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_ref: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    order_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    failure_code: Mapped[str | None] = mapped_column(sa.String(64))
    provider: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    # The provider's token for the card being charged and its name for the charge: references
    # into the provider's vault, not card data.
    provider_token: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    provider_ref: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    payment_method_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("payment_methods.id", ondelete="SET NULL"))
    card_brand: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    card_last4: Mapped[str] = mapped_column(sa.String(4), nullable=False)
    # The provider's fingerprint of the card number (the same for every token of one card):
    # what the velocity check counts by.
    card_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    ip_address: Mapped[str | None] = mapped_column(sa.String(64))
    billing_country: Mapped[str | None] = mapped_column(sa.String(2))
    shipping_country: Mapped[str | None] = mapped_column(sa.String(2))
    next_action = mapped_column(JSONB)
    captured_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    refunded_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    # A provider call in flight owns the payment until then (see charges.py).
    lease_until = mapped_column(sa.DateTime(timezone=True))
    held_at = mapped_column(sa.DateTime(timezone=True))
    completed_at = mapped_column(sa.DateTime(timezone=True))
    failed_at = mapped_column(sa.DateTime(timezone=True))
    cancelled_at = mapped_column(sa.DateTime(timezone=True))
    created_at = _now_column()
    updated_at = _now_column(onupdate=sa.func.now())


class PaymentAttempt(Base):
    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    payment_id: Mapped[str] = mapped_column(sa.ForeignKey("payments.id", ondelete="CASCADE"),
                                            nullable=False)
    refund_id: Mapped[str | None] = mapped_column(sa.ForeignKey("refunds.id",
                                                                ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    provider_ref: Mapped[str | None] = mapped_column(sa.String(64))
    error: Mapped[str | None] = mapped_column(sa.String(64))
    error_message: Mapped[str | None] = mapped_column(sa.String(300))
    latency_ms: Mapped[int | None] = mapped_column(sa.Integer)
    started_at = _now_column()
    finished_at = mapped_column(sa.DateTime(timezone=True))


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(sa.ForeignKey("payments.id", ondelete="CASCADE"),
                                            nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), nullable=False, unique=True)
    provider_ref: Mapped[str | None] = mapped_column(sa.String(64))
    failure_code: Mapped[str | None] = mapped_column(sa.String(64))
    requested_by: Mapped[int | None] = mapped_column(sa.BigInteger)
    requested_by_role: Mapped[str | None] = mapped_column(sa.String(20))
    lease_until = mapped_column(sa.DateTime(timezone=True))
    created_at = _now_column()
    processed_at = mapped_column(sa.DateTime(timezone=True))


class FraudFlag(Base):
    __tablename__ = "fraud_flags"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    payment_id: Mapped[str] = mapped_column(sa.ForeignKey("payments.id", ondelete="CASCADE"),
                                            nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    risk_score: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    reasons = mapped_column(JSONB, nullable=False)
    decision: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    reviewed_by: Mapped[int | None] = mapped_column(sa.BigInteger)
    reviewed_at = mapped_column(sa.DateTime(timezone=True))
    created_at = _now_column()


class ProcessedWebhook(Base):
    __tablename__ = "processed_webhooks"

    event_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    event_type: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    payment_id: Mapped[str | None] = mapped_column(sa.String(40))
    received_at = _now_column()


outbox = outbox_table(Base.metadata)
