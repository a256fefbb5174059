"""Nothing lost, nothing doubled: the checks every chaos story ends with, read from the truth
(each service's own database, the streams, the audit log), never from the load's own record."""
import time
from collections import Counter

import sqlalchemy as sa

from kit.envelope import from_stream_fields
from kit.topology import ALL_STREAMS
from tests.support.harness import wait_for

# An order the load placed must end in one of these (paid, or cancelled/failed with its
# stock back); anything else after the settle time is an order the saga lost track of.
SETTLED = ("paid", "cancelled", "payment_failed")
IN_FLIGHT = ("pending", "payment_pending")


def _rows(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).mappings().all()


def product_ids(chaos_db, variant_ids):
    return sorted({r["product_id"] for r in _rows(
        chaos_db["products"], "SELECT product_id FROM product_variants WHERE id = ANY(:v)",
        v=list(variant_ids))})


def orders_settle(chaos_db, refs, timeout=90):
    """Wait until none of the load's orders is in flight; return {order_ref: status}."""
    def settled():
        rows = _rows(chaos_db["orders"], "SELECT order_ref, status FROM orders "
                     "WHERE order_ref = ANY(:r)", r=list(refs))
        if any(r["status"] in IN_FLIGHT for r in rows):
            return None
        return {r["order_ref"]: r["status"] for r in rows}
    return wait_for(settled, timeout=timeout, interval=0.5, message="every order settled")


def outboxes_drain(chaos_db, timeout=60):
    def drained():
        backlog = {}
        for name, engine in chaos_db.items():
            try:
                count = _rows(engine, "SELECT count(*) AS n FROM outbox "
                              "WHERE published_at IS NULL")[0]["n"]
            except sa.exc.ProgrammingError:
                continue  # this service keeps no outbox
            if count:
                backlog[name] = count
        return not backlog
    wait_for(drained, timeout=timeout, interval=0.5, message="every outbox drained")


def stream_ids(redis_db):
    """stream → Counter of event ids in it."""
    return {stream: Counter(from_stream_fields(fields)["id"]
                            for _, fields in redis_db.xrange(stream))
            for stream in ALL_STREAMS}


def check_nothing_lost_or_doubled(chaos_db, redis_db, load, variant_stock, timeout=90):
    """The closing checks of a chaos story; returns a figures line."""
    placed = set(load.accepted)
    statuses = orders_settle(chaos_db, placed, timeout)
    assert set(statuses) == placed, f"accepted but missing: {sorted(placed - set(statuses))[:5]}"
    odd = {ref: s for ref, s in statuses.items() if s not in SETTLED}
    assert not odd, f"orders ended neither paid nor cancelled: {odd}"

    # Stock: what left the shelf is exactly what was paid for (released for everything else).
    paid_units = Counter()
    for row in _rows(chaos_db["orders"],
                     "SELECT i.variant_id, sum(i.quantity) AS units FROM order_items i "
                     "JOIN orders o ON o.id = i.order_id WHERE o.status = 'paid' "
                     "AND i.variant_id = ANY(:v) GROUP BY i.variant_id", v=list(variant_stock)):
        paid_units[row["variant_id"]] = int(row["units"])

    def stock_matches():
        now = {r["id"]: r["inventory_count"] for r in _rows(
            chaos_db["products"], "SELECT id, inventory_count FROM product_variants "
            "WHERE id = ANY(:v)", v=list(variant_stock))}
        return all(variant_stock[v] - now[v] == paid_units[v] for v in variant_stock) and now
    try:
        wait_for(stock_matches, timeout=30, interval=0.5, message="stock = paid units")
    except AssertionError:
        now = stock_matches() or {}
        raise AssertionError(f"stock taken {({v: variant_stock[v] - n for v, n in now.items()} if now else '?')}"
                             f" != paid units {dict(paid_units)}")

    # One completed payment per paid order, none for anything else.
    payments = Counter((r["order_ref"], r["status"]) for r in _rows(
        chaos_db["payments"], "SELECT order_ref, status FROM payments WHERE order_ref = ANY(:r)",
        r=list(placed)))
    for ref, status in statuses.items():
        completed = payments[(ref, "completed")]
        assert completed == (1 if status == "paid" else 0), (ref, status, payments)

    outboxes_drain(chaos_db)
    # Every event once per stream, and each of them in the audit log.
    ids = stream_ids(redis_db)
    doubled = {s: [i for i, n in c.items() if n > 1] for s, c in ids.items()}
    assert not any(doubled.values()), f"event ids twice in a stream: {doubled}"
    every = set().union(*ids.values())

    def audited():
        seen = {r["event_id"] for r in _rows(chaos_db["audit"],
                                             "SELECT event_id::text FROM audit_log")}
        return every <= seen
    wait_for(audited, timeout=60, interval=0.5, message="every stream event in the audit log")
    created = {r["data"]["order_ref"] for r in _rows(
        chaos_db["audit"], "SELECT data FROM audit_log WHERE event_type = 'order.created'")
        if "order_ref" in r["data"]}
    assert placed <= created, f"order.created lost for {sorted(placed - created)[:5]}"

    outcome = Counter(statuses.values())
    return (f"checked: {len(placed)} orders ({dict(outcome)}), {sum(paid_units.values())} paid "
            f"units = stock taken, {len(every)} event ids once each in "
            f"{sum(1 for c in ids.values() if c)} streams and all in the audit log")
