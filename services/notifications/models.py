"""The notifications service's tables (notifications_db).

notifications                 the in-app inbox, one row per message a shopper sees in the app
notification_templates        subject/html/text per (key, channel), versioned; seeded by 0001
notification_preferences      opt-outs and opt-ins per user, channel and category
email_logs, sms_logs          every message we tried to send, with its status and retry clock
back_in_stock_subscriptions   "tell me when this variant is back" requests
recipients                    who to write to: a projection of user.created / user.updated
processed_events              (event_id, consumer): each stream event is acted on once
chat_conversations            support chats: a shopper, at most one agent, open/assigned/closed
chat_messages                 what either side wrote, oldest first by id
chat_reads                    how far each participant has read a conversation
promotions                    time-boxed discounts, and whether their start/end was announced
outbox                        the kit's transactional outbox
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import created_at as _created_at
from kit.db import processed_event_model
from kit.db import timestamp as _ts
from kit.outbox import outbox_table

CHANNELS = ("email", "sms", "push", "in_app")
CATEGORIES = ("account", "orders", "payments", "stock_alerts", "promotions")
# queued: waiting for its first attempt · sending: an attempt is in flight · sent · failed: the
# last attempt failed (retried while next_attempt_at is set) · skipped: not sent on purpose
# (opted out).
DELIVERY_STATUSES = ("queued", "sending", "sent", "failed", "skipped")
# open: waiting for an agent · assigned: an agent has it · closed: over, read-only.
CONVERSATION_STATUSES = ("open", "assigned", "closed")
SENDER_ROLES = ("customer", "agent")


class Base(DeclarativeBase):
    pass


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    type: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    data = mapped_column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    event_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    read_at = _ts()
    created_at = _created_at()


class NotificationTemplate(Base):
    __tablename__ = "notification_templates"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    channel: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    html: Mapped[str | None] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    created_at = _created_at()


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    updated_at = _created_at()


class _DeliveryLog:
    """Columns email_logs and sms_logs share: the message, its status and its retry clock."""

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    template: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    template_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    event_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    # Due time of the next attempt; NULL once sent, skipped or given up. While an attempt is in
    # flight it holds the lease's end, so a second sender (a replica, the retry timer) waits.
    next_attempt_at = _ts()
    last_attempt_at = _ts()
    sent_at = _ts()
    created_at = _created_at()


class EmailLog(_DeliveryLog, Base):
    __tablename__ = "email_logs"

    # NULL when the address was not known yet; resolved from recipients at send time.
    to_address: Mapped[str | None] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(sa.Text)


class SmsLog(_DeliveryLog, Base):
    __tablename__ = "sms_logs"

    to_number: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    provider: Mapped[str | None] = mapped_column(sa.String(32))
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(100))


class BackInStockSubscription(Base):
    __tablename__ = "back_in_stock_subscriptions"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    product_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    variant_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    created_at = _created_at()
    # Set when the alert went out: a subscription fires once, then the shopper asks again.
    notified_at = _ts()
    notified_event_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))


class Recipient(Base):
    __tablename__ = "recipients"

    user_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    full_name: Mapped[str | None] = mapped_column(sa.String(120))
    # occurred_at of the newest user event applied, so a late older event cannot roll it back.
    as_of = _ts(nullable=False)


ProcessedEvent = processed_event_model(Base)


class ChatConversation(Base):
    __tablename__ = "chat_conversations"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    agent_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    created_at = _created_at()
    updated_at = _created_at()  # moves with every message, so lists show the liveliest first
    closed_at = _ts()
    closed_by: Mapped[int | None] = mapped_column(sa.BigInteger)


class ChatMessage(Base):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("chat_conversations.id"), nullable=False)
    sender_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sender_role: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at = _created_at()


class ChatRead(Base):
    __tablename__ = "chat_reads"

    conversation_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("chat_conversations.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    last_read_message_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    updated_at = _created_at()


class Promotion(Base):
    __tablename__ = "promotions"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    code: Mapped[str | None] = mapped_column(sa.String(40))
    # Exactly one of the two: a percentage, or an amount off in minor units of `currency`.
    discount_percent: Mapped[int | None] = mapped_column(sa.SmallInteger)
    discount_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    starts_at = _ts(nullable=False)
    ends_at = _ts(nullable=False)
    # What it applies to: these products, or one category (slug), or (neither) everything.
    product_ids = mapped_column(ARRAY(sa.BigInteger))
    category: Mapped[str | None] = mapped_column(sa.String(120))
    created_by: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    updated_by: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at = _created_at()
    updated_at = _created_at()
    # Set when staff ended it before ends_at (or called it off before it started).
    ended_at = _ts()
    ended_by: Mapped[int | None] = mapped_column(sa.BigInteger)
    # When promotion.started / promotion.ended were written to the outbox: each is claimed
    # once (UPDATE ... WHERE ..._event_at IS NULL) in the transaction that writes the event.
    started_event_at = _ts()
    ended_event_at = _ts()


outbox = outbox_table(Base.metadata)
