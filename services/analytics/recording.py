"""Turning the shop's events into figures: one transaction per event, applied at most once.

`apply(session, outbox, event)` first claims the event id in `processed_events`; a redelivered or
replayed event finds its id there and changes nothing. Every rollup, the InfluxDB points (in
`influx_pending`) and the analytics.* events it causes are written in that same transaction.
It returns what the live Redis figures need (`Live.apply` after the commit), or None.

Days and hours are UTC. A sale is counted when orders says the order is paid
(order.payment.completed: the amount orders charged); refunds are kept beside it.
"""
from datetime import datetime, timezone

import logging
import random

import sqlalchemy as sa

from services.analytics import events, points

T = sa.text
log = logging.getLogger(__name__)
DAILY_SHARDS = 8


def parse_time(value):
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def claim(session, event_id, event_type):
    """True if this event was not applied before (and now counts as applied)."""
    return session.execute(T(
        "INSERT INTO processed_events (event_id, event_type) VALUES (:id, :type) "
        "ON CONFLICT DO NOTHING RETURNING event_id"), {"id": event_id, "type": event_type}
    ).first() is not None


def queue_points(session, *lines):
    session.execute(T("INSERT INTO influx_pending (line) VALUES (:line)"),
                    [{"line": line} for line in lines if line])


def bump_daily(session, day, stage, by=1):
    """Count a funnel stage for a day. Every event of a kind would update the same row, and
    its row lock would serialise every worker: the count is spread over DAILY_SHARDS rows
    (readers sum them)."""
    session.execute(T(
        "INSERT INTO daily_counts (date, stage, shard, count) VALUES (:d, :s, :k, :n) "
        "ON CONFLICT (date, stage, shard) DO UPDATE SET "
        "count = daily_counts.count + EXCLUDED.count"),
        {"d": day, "s": stage, "k": random.randrange(DAILY_SHARDS), "n": by})


def bump_product(session, day, product_id, column, by=1):
    assert column in ("views", "add_to_carts", "purchases")
    return session.execute(T(
        f"INSERT INTO product_metrics (date, product_id, {column}) VALUES (:d, :p, :n) "
        f"ON CONFLICT (date, product_id) DO UPDATE SET {column} = product_metrics.{column} + :n "
        f"RETURNING {column}"), {"d": day, "p": product_id, "n": by}).scalar()


def touch_session(session, session_id, user_id, at, pages=0):
    if not session_id:
        return
    session.execute(T(
        "INSERT INTO user_sessions (session_id, user_id, started_at, ended_at, pages_visited) "
        "VALUES (:s, :u, :t, :t, :p) ON CONFLICT (session_id) DO UPDATE SET "
        "user_id = COALESCE(user_sessions.user_id, EXCLUDED.user_id), "
        "started_at = LEAST(user_sessions.started_at, EXCLUDED.started_at), "
        "ended_at = GREATEST(user_sessions.ended_at, EXCLUDED.ended_at), "
        "pages_visited = user_sessions.pages_visited + EXCLUDED.pages_visited"),
        {"s": session_id[:64], "u": user_id, "t": at, "p": pages})


# ---- per event type ------------------------------------------------------------------------

def _order_created(session, outbox, event, at):
    data = event["data"]
    day = at.date()
    items = [{"product_id": i["product_id"], "quantity": i["quantity"]} for i in data["items"]]
    row = session.execute(T(
        "INSERT INTO order_facts (order_id, items) VALUES (:o, CAST(:items AS jsonb)) "
        "ON CONFLICT (order_id) DO UPDATE SET items = EXCLUDED.items "
        "RETURNING paid_at, purchases_counted"),
        {"o": data["order_id"], "items": _json(items)}).first()
    purchases = None
    if row.paid_at is not None and not row.purchases_counted:
        purchases = _count_purchases(session, data["order_id"], items, row.paid_at.date())
    queue_points(session, points.conversion(event["id"], at, "checkout"))
    outbox.add(session, events.CONVERSION, {"order_id": data["order_id"], "stage": "checkout",
                                            "day": day.isoformat()})
    bump_daily(session, day, "checkout")
    return {"kind": "checkout", "day": day, "purchases": purchases}


def _count_purchases(session, order_id, items, day):
    """Count an order's lines as purchases once; (day, [(product_id, day's total)])."""
    totals = [(item["product_id"], bump_product(session, day, item["product_id"], "purchases",
                                                item["quantity"])) for item in items]
    session.execute(T("UPDATE order_facts SET purchases_counted = true WHERE order_id = :o"),
                    {"o": order_id})
    return day, totals


def _order_paid(session, outbox, event, at):
    data = event["data"]
    amount, currency = int(data["amount"]), data.get("currency") or "INR"
    day = at.date()
    hour = at.replace(minute=0, second=0, microsecond=0)
    minute = at.replace(second=0, microsecond=0)
    fact = session.execute(T(
        "INSERT INTO order_facts (order_id, amount, paid_at) VALUES (:o, :a, :t) "
        "ON CONFLICT (order_id) DO UPDATE SET amount = EXCLUDED.amount, paid_at = EXCLUDED.paid_at "
        "RETURNING items, purchases_counted"), {"o": data["order_id"], "a": amount, "t": at}).first()
    purchases = None
    if fact.items is not None and not fact.purchases_counted:
        purchases = _count_purchases(session, data["order_id"], fact.items, day)
    daily = session.execute(T(
        "INSERT INTO sales_metrics (date, total_sales, order_count, avg_order_value, currency) "
        "VALUES (:d, :a, 1, :a, :c) ON CONFLICT (date) DO UPDATE SET "
        "total_sales = sales_metrics.total_sales + EXCLUDED.total_sales, "
        "order_count = sales_metrics.order_count + 1, "
        "avg_order_value = (sales_metrics.total_sales + EXCLUDED.total_sales) "
        "                  / (sales_metrics.order_count + 1) "
        "RETURNING total_sales, order_count, avg_order_value"),
        {"d": day, "a": amount, "c": currency}).first()
    for table, column, bucket in (("sales_hourly", "hour", hour),
                                  ("sales_minutely", "minute", minute)):
        session.execute(T(
            f"INSERT INTO {table} ({column}, total_sales, order_count) VALUES (:b, :a, 1) "
            f"ON CONFLICT ({column}) DO UPDATE SET total_sales = {table}.total_sales + :a, "
            f"order_count = {table}.order_count + 1"), {"b": bucket, "a": amount})
    this_minute = session.execute(T(
        "SELECT total_sales, order_count FROM sales_minutely WHERE minute = :m"),
        {"m": minute}).first()
    bump_daily(session, day, "paid")
    queue_points(session, points.sale(event["id"], at, amount, currency),
                 points.conversion(event["id"], at, "paid"))
    live = {"day": day.isoformat(), "sales_today": daily.total_sales,
            "orders_today": daily.order_count, "avg_order_value_today": daily.avg_order_value,
            "minute": minute.isoformat(), "sales_this_minute": this_minute.total_sales,
            "orders_this_minute": this_minute.order_count, "currency": currency}
    outbox.add(session, events.SALE, {"order_id": data["order_id"], "amount": amount,
                                      "currency": currency, "day": day.isoformat(), "live": live})
    outbox.add(session, events.CONVERSION, {"order_id": data["order_id"], "stage": "paid",
                                            "day": day.isoformat()})
    return {"kind": "sale", "live": live, "purchases": purchases}


def _refund(session, outbox, event, at):
    session.execute(T(
        "INSERT INTO sales_metrics (date, refunded_total) VALUES (:d, :a) "
        "ON CONFLICT (date) DO UPDATE SET refunded_total = sales_metrics.refunded_total + :a"),
        {"d": at.date(), "a": int(event["data"]["amount"])})
    return None


def _item_added(session, outbox, event, at):
    data = event["data"]
    day = at.date()
    quantity = int(data.get("quantity") or 1)
    queue_points(session, points.add_to_cart(event["id"], at, quantity))
    total = bump_product(session, day, data["product_id"], "add_to_carts")
    bump_daily(session, day, "add_to_cart")
    return {"kind": "top", "board": "add_to_carts", "day": day, "product_id": data["product_id"],
            "value": total}


def _abandoned(session, outbox, event, at):
    bump_daily(session, at.date(), "abandoned")
    return None


def _product_viewed(session, outbox, event, at):
    data = event["data"]
    day = at.date()
    touch_session(session, data.get("session_id"), data.get("user_id"), at)
    queue_points(session, points.page_view(event["id"], at, "product"))
    total = bump_product(session, day, data["product_id"], "views")
    bump_daily(session, day, "view")
    return {"kind": "top", "board": "views", "day": day, "product_id": data["product_id"],
            "value": total, "session_id": data.get("session_id"), "user_id": data.get("user_id")}


def _user_created(session, outbox, event, at):
    bump_daily(session, at.date(), "signup")
    return None


def _search(session, outbox, event, at):
    data = event["data"]
    day = at.date()
    bump_daily(session, day, "search")
    query = " ".join(str(data.get("query") or "").lower().split())[:200]
    if query and int(data.get("results_count") or 0) == 0:
        session.execute(T(
            "INSERT INTO search_misses (date, query, count) VALUES (:d, :q, 1) "
            "ON CONFLICT (date, query) DO UPDATE SET count = search_misses.count + 1"),
            {"d": day, "q": query})
    return None


APPLIERS = {
    events.ORDER_CREATED: _order_created,
    events.ORDER_PAID: _order_paid,
    events.REFUND_PROCESSED: _refund,
    events.ITEM_ADDED: _item_added,
    events.CART_ABANDONED: _abandoned,
    events.PRODUCT_VIEWED: _product_viewed,
    events.USER_CREATED: _user_created,
    events.SEARCH_QUERY: _search,
}


def wanted(event_type):
    return event_type in APPLIERS


def apply(session, outbox, event):
    """Apply one stream event; None if it was applied before or carries nothing for us."""
    applier = APPLIERS.get(event["type"])
    if applier is None or not claim(session, event["id"], event["type"]):
        return None
    savepoint = session.begin_nested()
    try:
        effect = applier(session, outbox, event, parse_time(event["occurred_at"]))
    except (KeyError, TypeError, ValueError) as exc:
        # Well-formed envelope, data not as its owner documents it: counting it wrong would be
        # worse than not counting it, and retrying cannot fix it. Claimed, so logged once.
        savepoint.rollback()
        log.warning("not counting %s %s: data lacks %r", event["type"], event["id"], exc)
        return None
    savepoint.commit()
    return effect


def _json(value):
    import json
    return json.dumps(value)
