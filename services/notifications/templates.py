"""Message templates: which ones exist, their category, and rendering with sandboxed Jinja2.

A template key (`order_shipped`) has one row per channel it speaks on; the channels with a row
are the channels that key uses. Rows are versioned; the newest version of each channel is used
and its number is written into the delivery log. Text is rendered as is, HTML autoescaped.
"""
import collections
import functools

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from services.notifications.models import NotificationTemplate

# The preference category each message belongs to (what a shopper opts in or out of).
TEMPLATE_CATEGORY = {
    "welcome": "account",
    "order_confirmation": "orders",
    "order_shipped": "orders",
    "payment_failed": "payments",
    "back_in_stock": "stock_alerts",
}

Rendered = collections.namedtuple("Rendered", "key channel version subject text html")

_ENVIRONMENTS = {
    "text": SandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                 keep_trailing_newline=True),
    "html": SandboxedEnvironment(undefined=StrictUndefined, autoescape=True),
}


class TemplateMissing(LookupError):
    """No template row for a key: the event fails, is retried, then dead-lettered for ops."""


@functools.lru_cache(maxsize=256)
def _compiled(kind, source):
    return _ENVIRONMENTS[kind].from_string(source)


def _render(kind, source, context):
    return _compiled(kind, source).render(**context) if source is not None else None


def newest_by_channel(session, key):
    """{channel: NotificationTemplate}: the highest version of each channel of `key`."""
    rows = session.scalars(
        sa.select(NotificationTemplate).where(NotificationTemplate.key == key)
        .order_by(NotificationTemplate.channel, NotificationTemplate.version.desc())
        .distinct(NotificationTemplate.channel)).all()
    if not rows:
        raise TemplateMissing(f"no notification_templates rows for {key!r}")
    return {row.channel: row for row in rows}


def render(template, context):
    """Render a template row with `context` (jinja2's TemplateError on a broken template)."""
    subject = _render("text", template.subject, context)
    return Rendered(
        key=template.key, channel=template.channel, version=template.version,
        subject=" ".join(subject.split()) if subject is not None else None,  # one header line
        text=_render("text", template.text, context).strip(),
        html=_render("html", template.html, context),
    )


__all__ = ["TEMPLATE_CATEGORY", "Rendered", "TemplateError", "TemplateMissing",
           "newest_by_channel", "render"]
