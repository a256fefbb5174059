"""notifications schema: inbox, templates (seeded), preferences, email/sms logs, back-in-stock
subscriptions, recipients projection, processed_events, outbox

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

CHANNELS = "'email', 'sms', 'push', 'in_app'"
CATEGORIES = "'account', 'orders', 'payments', 'stock_alerts', 'promotions'"
STATUSES = "'queued', 'sent', 'failed', 'skipped'"

# The first version of every template. Rendered with Jinja2 (sandboxed); the context each gets is
# listed in services/notifications/triggers.py. Later wording changes are new rows with a higher
# version (a migration or ops), so old logs still say which text was sent.
_FOOTER_TEXT = "\n\n— {{ shop_name }}\n{{ shop_url }}\n"
_FOOTER_HTML = ('<p style="color:#777;font-size:12px">{{ shop_name }} · '
                '<a href="{{ shop_url }}">{{ shop_url }}</a></p>')

SEED_TEMPLATES = [
    # --- welcome ---------------------------------------------------------------------------
    ("welcome", "email", "Welcome to {{ shop_name }}, {{ full_name }}!",
     "<h1>Welcome, {{ full_name }}!</h1><p>Your {{ shop_name }} account is ready. New drops, "
     "your orders and your wishlist are all in one place.</p>"
     '<p><a href="{{ shop_url }}">Start shopping</a></p>' + _FOOTER_HTML,
     "Welcome, {{ full_name }}!\n\nYour {{ shop_name }} account is ready. New drops, your orders "
     "and your wishlist are all in one place.\n\nStart shopping: {{ shop_url }}" + _FOOTER_TEXT),
    ("welcome", "in_app", "Welcome to {{ shop_name }}!", None,
     "Hi {{ full_name }}, your account is ready. Happy shopping!"),
    # --- order_confirmation ----------------------------------------------------------------
    ("order_confirmation", "email", "Order {{ order_number }} confirmed",
     "<h1>Thank you, {{ full_name }}!</h1><p>We have your order <b>{{ order_number }}</b>"
     "{% if item_count %} ({{ item_count }} item{{ 's' if item_count != 1 }}){% endif %}"
     "{% if total %} totalling <b>{{ total }}</b>{% endif %}.</p>"
     "<p>We will write again when it ships.</p>"
     '<p><a href="{{ order_url }}">View your order</a></p>' + _FOOTER_HTML,
     "Thank you, {{ full_name }}!\n\nWe have your order {{ order_number }}"
     "{% if item_count %} ({{ item_count }} item{{ 's' if item_count != 1 }}){% endif %}"
     "{% if total %} totalling {{ total }}{% endif %}.\n\nWe will write again when it ships.\n"
     "View your order: {{ order_url }}" + _FOOTER_TEXT),
    ("order_confirmation", "sms", None, None,
     "{{ shop_name }}: order {{ order_number }} confirmed{% if total %} ({{ total }}){% endif %}. "
     "We'll text you when it ships."),
    ("order_confirmation", "in_app", "Order {{ order_number }} confirmed", None,
     "We have your order{% if total %} of {{ total }}{% endif %} and will let you know when it "
     "ships."),
    # --- order_shipped ---------------------------------------------------------------------
    ("order_shipped", "email", "Your order {{ order_number }} is on its way",
     "<h1>Good news, {{ full_name }}!</h1><p>Your order <b>{{ order_number }}</b> has shipped"
     "{% if carrier %} with {{ carrier }}{% endif %}.</p>"
     "{% if tracking_number %}<p>Tracking number: <b>{{ tracking_number }}</b></p>{% endif %}"
     '<p><a href="{{ order_url }}">Track your order</a></p>' + _FOOTER_HTML,
     "Good news, {{ full_name }}!\n\nYour order {{ order_number }} has shipped"
     "{% if carrier %} with {{ carrier }}{% endif %}.\n"
     "{% if tracking_number %}Tracking number: {{ tracking_number }}\n{% endif %}"
     "Track your order: {{ order_url }}" + _FOOTER_TEXT),
    ("order_shipped", "sms", None, None,
     "{{ shop_name }}: order {{ order_number }} has shipped"
     "{% if tracking_number %}, tracking {{ tracking_number }}{% endif %}. {{ order_url }}"),
    ("order_shipped", "push", "Order {{ order_number }} shipped", None,
     "It's on its way{% if carrier %} with {{ carrier }}{% endif %}."),
    ("order_shipped", "in_app", "Order {{ order_number }} shipped", None,
     "Your order is on its way{% if carrier %} with {{ carrier }}{% endif %}"
     "{% if tracking_number %} (tracking {{ tracking_number }}){% endif %}."),
    # --- payment_failed --------------------------------------------------------------------
    ("payment_failed", "email", "Payment for order {{ order_number }} did not go through",
     "<h1>{{ full_name }}, your payment did not go through</h1>"
     "<p>We could not take{% if amount %} {{ amount }}{% endif %} for order "
     "<b>{{ order_number }}</b>{% if reason %}: {{ reason }}{% endif %}.</p>"
     "<p>Your items are held for a short while. Please try again or use another payment "
     'method.</p><p><a href="{{ order_url }}">Retry payment</a></p>' + _FOOTER_HTML,
     "{{ full_name }}, your payment did not go through.\n\nWe could not take"
     "{% if amount %} {{ amount }}{% endif %} for order {{ order_number }}"
     "{% if reason %}: {{ reason }}{% endif %}.\n\nYour items are held for a short while. Please "
     "try again or use another payment method: {{ order_url }}" + _FOOTER_TEXT),
    ("payment_failed", "sms", None, None,
     "{{ shop_name }}: payment for order {{ order_number }} failed. Retry: {{ order_url }}"),
    ("payment_failed", "in_app", "Payment failed for order {{ order_number }}", None,
     "We could not take your payment{% if reason %} ({{ reason }}){% endif %}. Please try again."),
    # --- back_in_stock ---------------------------------------------------------------------
    ("back_in_stock", "email", "Back in stock: {{ product_name }}",
     "<h1>It's back, {{ full_name }}!</h1><p><b>{{ product_name }}</b>"
     "{% if sku %} ({{ sku }}){% endif %} is back in stock"
     "{% if quantity and quantity <= 5 %}, only {{ quantity }} left{% endif %}.</p>"
     '<p><a href="{{ product_url }}">Get it before it goes again</a></p>' + _FOOTER_HTML,
     "It's back, {{ full_name }}!\n\n{{ product_name }}{% if sku %} ({{ sku }}){% endif %} is "
     "back in stock{% if quantity and quantity <= 5 %}, only {{ quantity }} left{% endif %}.\n\n"
     "Get it before it goes again: {{ product_url }}" + _FOOTER_TEXT),
    ("back_in_stock", "push", "Back in stock", None,
     "{{ product_name }} is back. Grab it before it goes again."),
    ("back_in_stock", "in_app", "Back in stock: {{ product_name }}", None,
     "{{ product_name }}{% if sku %} ({{ sku }}){% endif %} is back in stock."),
]


def _ts(name, **kw):
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def _delivery_log(table, *columns):
    op.create_table(
        table,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        *columns,
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("template_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("event_id", UUID(as_uuid=False)),
        _ts("next_attempt_at"),
        _ts("last_attempt_at"),
        _ts("sent_at"),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=f"ck_{table}_status"),
    )
    op.create_index(f"ix_{table}_user_id_id", table, ["user_id", "id"])
    # One message per event, user and template: a replayed event cannot queue a second one.
    op.create_index(f"ux_{table}_event_user_template", table,
                    ["event_id", "user_id", "template"], unique=True,
                    postgresql_where=sa.text("event_id IS NOT NULL"))
    # What the retry sweep scans: only rows still waiting for an attempt.
    op.create_index(f"ix_{table}_due", table, ["next_attempt_at"],
                    postgresql_where=sa.text("next_attempt_at IS NOT NULL"))


def upgrade():
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("type", sa.String(50), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("data", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("event_id", UUID(as_uuid=False)),
        _ts("read_at"),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_notifications_user_id_id", "notifications", ["user_id", "id"])
    op.create_index("ix_notifications_unread", "notifications", ["user_id", "id"],
                    postgresql_where=sa.text("read_at IS NULL"))
    op.create_index("ux_notifications_event_user_type", "notifications",
                    ["event_id", "user_id", "type"], unique=True,
                    postgresql_where=sa.text("event_id IS NOT NULL"))

    templates = op.create_table(
        "notification_templates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("html", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("key", "channel", "version", name="ux_notification_templates_version"),
        sa.CheckConstraint(f"channel IN ({CHANNELS})", name="ck_notification_templates_channel"),
        sa.CheckConstraint("channel NOT IN ('email', 'push', 'in_app') OR subject IS NOT NULL",
                           name="ck_notification_templates_subject"),
    )
    op.bulk_insert(templates, [
        {"key": key, "channel": channel, "subject": subject, "html": html, "text": text,
         "version": 1}
        for key, channel, subject, html, text in SEED_TEMPLATES
    ])

    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("category", sa.String(32), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        _ts("updated_at", nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"channel IN ({CHANNELS})", name="ck_notification_preferences_channel"),
        sa.CheckConstraint(f"category IN ({CATEGORIES})",
                           name="ck_notification_preferences_category"),
    )

    _delivery_log(
        "email_logs",
        sa.Column("to_address", sa.String(254)),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text),
    )
    _delivery_log(
        "sms_logs",
        sa.Column("to_number", sa.String(20), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("provider", sa.String(32)),
        sa.Column("provider_message_id", sa.String(100)),
    )

    op.create_table(
        "back_in_stock_subscriptions",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("product_id", sa.BigInteger, nullable=False),
        sa.Column("variant_id", sa.BigInteger, nullable=False),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
        _ts("notified_at"),
        sa.Column("notified_event_id", UUID(as_uuid=False)),
    )
    # One open request per shopper and variant; fulfilled ones stay as history.
    op.create_index("ux_back_in_stock_open", "back_in_stock_subscriptions",
                    ["user_id", "variant_id"], unique=True,
                    postgresql_where=sa.text("notified_at IS NULL"))
    op.create_index("ix_back_in_stock_waiting", "back_in_stock_subscriptions", ["variant_id"],
                    postgresql_where=sa.text("notified_at IS NULL"))

    op.create_table(
        "recipients",
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(20)),
        sa.Column("full_name", sa.String(120)),
        _ts("as_of", nullable=False),
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
    for table in ("outbox", "processed_events", "recipients", "back_in_stock_subscriptions",
                  "sms_logs", "email_logs", "notification_preferences", "notification_templates",
                  "notifications"):
        op.drop_table(table)
