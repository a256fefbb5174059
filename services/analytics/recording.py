"""Turning the shop's events into figures: a batch of events per transaction, each applied once.

`apply_batch(session, outbox, events)` first claims every event id in `processed_events` with
one INSERT … ON CONFLICT DO NOTHING RETURNING; only the ids it inserted are applied, so a
redelivered or replayed event changes nothing. The counting events (views, add-to-carts,
searches, signups, abandonments and the funnel stages) add into the batch's Tally, summed per key in
Python and written with one multi-row upsert per table (rows in key order, so two concurrent
batches lock them in the same order); orders, payments and refunds run their statements per
event, as before. The rollups, the InfluxDB points (in `influx_pending`) and the analytics.*
events are all written in the caller's one transaction. It returns what the live Redis figures
need (`Live.apply_all` after the commit). One transaction per event cost ~67 ms under load and
held the consumer to 14 events/s (issue 9).

Days and hours are UTC. A sale is counted when orders says the order is paid
(order.payment.completed: the amount orders charged); refunds are kept beside it.
"""
from collections import Counter
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

class Tally:
    """What a batch's counting events add to the rollups, per key, until `flush`."""

    def __init__(self):
        self.daily = Counter()      # (day, stage) → n
        self.products = Counter()   # (day, product_id, column) → n
        self.sessions = {}          # session_id → [user_id, first seen, last seen, pages]
        self.misses = Counter()     # (day, query) → n
        self.points = []            # line protocol

    def bump_daily(self, day, stage, by=1):
        self.daily[(day, stage)] += by

    def bump_product(self, day, product_id, column, by=1):
        assert column in ("views", "add_to_carts")
        self.products[(day, int(product_id), column)] += by

    def touch_session(self, session_id, user_id, at, pages=0):
        if not session_id:
            return
        row = self.sessions.get(session_id[:64])
        if row is None:
            self.sessions[session_id[:64]] = [user_id, at, at, pages]
        else:
            row[0] = row[0] if row[0] is not None else user_id
            row[1], row[2], row[3] = min(row[1], at), max(row[2], at), row[3] + pages

    def queue_points(self, *lines):
        self.points.extend(line for line in lines if line)

    def merge(self, other):
        self.daily.update(other.daily)
        self.products.update(other.products)
        self.misses.update(other.misses)
        self.points.extend(other.points)
        for session_id, (user_id, first, last, pages) in other.sessions.items():
            self.touch_session(session_id, user_id, first, pages)
            self.touch_session(session_id, user_id, last)

    def flush(self, session):
        """Write it all; → {(day, product_id): {"views": total, "add_to_carts": total}}."""
        if self.points:
            session.execute(T("INSERT INTO influx_pending (line) "
                              "SELECT unnest(CAST(:lines AS text[]))"), {"lines": self.points})
        if self.daily:
            rows = sorted(self.daily.items())
            session.execute(T(
                "INSERT INTO daily_counts (date, stage, shard, count) SELECT * FROM unnest("
                "CAST(:d AS date[]), CAST(:s AS varchar[]), CAST(:k AS smallint[]), "
                "CAST(:n AS bigint[])) ON CONFLICT (date, stage, shard) DO UPDATE SET "
                "count = daily_counts.count + EXCLUDED.count"),
                {"d": [d for (d, _), _ in rows], "s": [st for (_, st), _ in rows],
                 "k": [random.randrange(DAILY_SHARDS) for _ in rows], "n": [n for _, n in rows]})
        if self.misses:
            rows = sorted(self.misses.items())
            session.execute(T(
                "INSERT INTO search_misses (date, query, count) SELECT * FROM unnest("
                "CAST(:d AS date[]), CAST(:q AS varchar[]), CAST(:n AS integer[])) "
                "ON CONFLICT (date, query) DO UPDATE SET "
                "count = search_misses.count + EXCLUDED.count"),
                {"d": [d for (d, _), _ in rows], "q": [q for (_, q), _ in rows],
                 "n": [n for _, n in rows]})
        if self.sessions:
            rows = sorted(self.sessions.items())
            session.execute(T(
                "INSERT INTO user_sessions (session_id, user_id, started_at, ended_at, "
                "pages_visited) SELECT * FROM unnest(CAST(:s AS varchar[]), "
                "CAST(:u AS bigint[]), CAST(:a AS timestamptz[]), CAST(:b AS timestamptz[]), "
                "CAST(:p AS integer[])) ON CONFLICT (session_id) DO UPDATE SET "
                "user_id = COALESCE(user_sessions.user_id, EXCLUDED.user_id), "
                "started_at = LEAST(user_sessions.started_at, EXCLUDED.started_at), "
                "ended_at = GREATEST(user_sessions.ended_at, EXCLUDED.ended_at), "
                "pages_visited = user_sessions.pages_visited + EXCLUDED.pages_visited"),
                {"s": [k for k, _ in rows], "u": [r[0] for _, r in rows],
                 "a": [r[1] for _, r in rows], "b": [r[2] for _, r in rows],
                 "p": [r[3] for _, r in rows]})
        if not self.products:
            return {}
        keys = sorted({(day, product_id) for day, product_id, _ in self.products})
        result = session.execute(T(
            "INSERT INTO product_metrics (date, product_id, views, add_to_carts) "
            "SELECT * FROM unnest(CAST(:d AS date[]), CAST(:p AS bigint[]), "
            "CAST(:v AS integer[]), CAST(:a AS integer[])) "
            "ON CONFLICT (date, product_id) DO UPDATE SET "
            "views = product_metrics.views + EXCLUDED.views, "
            "add_to_carts = product_metrics.add_to_carts + EXCLUDED.add_to_carts "
            "RETURNING date, product_id, views, add_to_carts"),
            {"d": [d for d, _ in keys], "p": [p for _, p in keys],
             "v": [self.products[(d, p, "views")] for d, p in keys],
             "a": [self.products[(d, p, "add_to_carts")] for d, p in keys]})
        return {(row.date, row.product_id): {"views": row.views, "add_to_carts": row.add_to_carts}
                for row in result}


def _order_created(session, outbox, event, at, tally):
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
    tally.queue_points(points.conversion(event["id"], at, "checkout"))
    outbox.add(session, events.CONVERSION, {"order_id": data["order_id"], "stage": "checkout",
                                            "day": day.isoformat()})
    tally.bump_daily(day, "checkout")
    return {"kind": "checkout", "day": day, "purchases": purchases}


def _count_purchases(session, order_id, items, day):
    """Count an order's lines as purchases once; (day, [(product_id, day's total)])."""
    totals = [(item["product_id"], bump_product(session, day, item["product_id"], "purchases",
                                                item["quantity"])) for item in items]
    session.execute(T("UPDATE order_facts SET purchases_counted = true WHERE order_id = :o"),
                    {"o": order_id})
    return day, totals


def _order_paid(session, outbox, event, at, tally):
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
    tally.bump_daily(day, "paid")
    tally.queue_points(points.sale(event["id"], at, amount, currency),
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


def _refund(session, outbox, event, at, tally):
    session.execute(T(
        "INSERT INTO sales_metrics (date, refunded_total) VALUES (:d, :a) "
        "ON CONFLICT (date) DO UPDATE SET refunded_total = sales_metrics.refunded_total + :a"),
        {"d": at.date(), "a": int(event["data"]["amount"])})
    return None


# The counting events below write nothing themselves: they add into the tally. A "top" effect's
# value (the product's total for the day) is filled in from the tally's flush.

def _item_added(session, outbox, event, at, tally):
    data = event["data"]
    day = at.date()
    quantity = int(data.get("quantity") or 1)
    product_id = int(data["product_id"])
    tally.queue_points(points.add_to_cart(event["id"], at, quantity))
    tally.bump_product(day, product_id, "add_to_carts")
    tally.bump_daily(day, "add_to_cart")
    return {"kind": "top", "board": "add_to_carts", "day": day, "product_id": product_id,
            "value": None}


def _abandoned(session, outbox, event, at, tally):
    # The day the cart was left, not the day the idle scan noticed it.
    try:
        left = parse_time(event["data"]["last_touched_at"])
    except (KeyError, TypeError, ValueError):
        left = at
    tally.bump_daily(left.date(), "abandoned")
    return None


def _product_viewed(session, outbox, event, at, tally):
    data = event["data"]
    day = at.date()
    product_id = int(data["product_id"])
    tally.touch_session(data.get("session_id"), data.get("user_id"), at)
    tally.queue_points(points.page_view(event["id"], at, "product"))
    tally.bump_product(day, product_id, "views")
    tally.bump_daily(day, "view")
    return {"kind": "top", "board": "views", "day": day, "product_id": product_id,
            "value": None, "session_id": data.get("session_id"), "user_id": data.get("user_id")}


def _user_created(session, outbox, event, at, tally):
    tally.bump_daily(at.date(), "signup")
    return None


def _search(session, outbox, event, at, tally):
    data = event["data"]
    day = at.date()
    query = " ".join(str(data.get("query") or "").lower().split())[:200]
    if query and int(data.get("results_count") or 0) == 0:
        tally.misses[(day, query)] += 1
    tally.bump_daily(day, "search")
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


# The appliers that run SQL of their own (in a savepoint each); the others only add to the tally.
WRITES_ITSELF = {events.ORDER_CREATED, events.ORDER_PAID, events.REFUND_PROCESSED}


def wanted(event_type):
    return event_type in APPLIERS


def claim_all(session, batch):
    """The ids of `batch` not applied before (now claimed), in one statement."""
    types = {str(e["id"]): e["type"] for e in batch}
    rows = session.execute(T(
        "INSERT INTO processed_events (event_id, event_type) SELECT * FROM unnest("
        "CAST(:ids AS uuid[]), CAST(:types AS varchar[])) ON CONFLICT DO NOTHING "
        "RETURNING event_id"), {"ids": list(types), "types": list(types.values())})
    return {str(row.event_id) for row in rows}


def apply_batch(session, outbox, batch):
    """Apply stream events (each once by id); → the effects for the live figures."""
    return apply_batch_counted(session, outbox, batch)[0]


def apply_batch_counted(session, outbox, batch):
    """→ (effects, how many events were new): a replayed batch (0) moves no figure."""
    batch = [e for e in batch if e["type"] in APPLIERS]
    if not batch:
        return [], 0
    new = claim_all(session, batch)
    applied = len(new)
    tally, effects = Tally(), []
    for event in batch:
        if str(event["id"]) not in new:
            continue
        new.discard(str(event["id"]))  # the same event twice in one batch counts once
        # A counting applier reads all it needs before it adds anything, so it may add straight
        # into the batch's tally; one that writes SQL gets a tally (and savepoint) of its own.
        writes = event["type"] in WRITES_ITSELF
        one = Tally() if writes else tally
        savepoint = session.begin_nested() if writes else None
        try:
            effect = APPLIERS[event["type"]](session, outbox, event,
                                             parse_time(event["occurred_at"]), one)
        except (KeyError, TypeError, ValueError) as exc:
            # Well-formed envelope, data not as its owner documents it: counting it wrong would
            # be worse than not counting it, and retrying cannot fix it. Claimed: logged once.
            if savepoint is not None:
                savepoint.rollback()
            log.warning("not counting %s %s: data lacks %r", event["type"], event["id"], exc)
            continue
        if savepoint is not None:
            savepoint.commit()
            tally.merge(one)
        if effect:
            effects.append(effect)
    totals = tally.flush(session)
    for effect in effects:
        if effect["kind"] == "top":
            effect["value"] = totals[(effect["day"], effect["product_id"])][effect["board"]]
    return effects, applied


def apply(session, outbox, event):
    """Apply one stream event; None if it was applied before or carries nothing for us."""
    effects = apply_batch(session, outbox, [event])
    return effects[0] if effects else None


def _json(value):
    import json
    return json.dumps(value)
