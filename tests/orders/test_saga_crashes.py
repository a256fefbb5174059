"""Stories of processes dying mid-checkout (kill -9) and coming back.

Whatever was in flight, every order ends in a final state (paid, payment_failed, cancelled),
the shelf holds exactly its stock less what paid orders took, no payment exists without its
order, no order is paid twice, and each event reached its stream once.
"""
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.orders.helpers import (FINAL, SLOW, order_body, orders_rows, payment_rows,
                                  reservation_status, restart, stock_of)
from tests.support.harness import stream_events, wait_for

SETTLE_S = 60  # payment_deadline_s (12 in test8) + a sweep + slack on a busy machine


def checkout_retrying(shopper, key, until):
    """What a good client does: retry the same request with the same key until it gets an
    answer that is not an outage (502/503/timeout)."""
    while True:
        try:
            response = shopper.checkout(order_body(), key=key)
            if response.status_code not in (502, 503, 504):
                return response
        except requests.RequestException:
            pass
        assert time.monotonic() < until, "checkout never answered"
        time.sleep(0.5)


def all_final(orders_db, user_ids):
    rows = orders_rows(orders_db, "user_id = ANY(:u)", u=user_ids)
    return rows if rows and all(r["status"] in FINAL + ("paid",) and r["settled_at"]
                                for r in rows) else None


def assert_books_balance(orders_db, products_db, payments_db, variant, stock, rows):
    paid = [r for r in rows if r["status"] == "paid"]
    assert stock_of(products_db, variant) == stock - sum(r["total_quantity"] for r in paid)
    for row in rows:
        expected = "committed" if row["status"] == "paid" else "released"
        assert reservation_status(products_db, row["order_ref"]) == expected, dict(row)
    known = {r["order_ref"] for r in orders_rows(orders_db)}
    refs = [p["order_ref"] for p in payment_rows(payments_db)]
    assert set(refs) <= known                                       # no payment without order
    assert max(Counter(refs).values(), default=1) == 1              # one payment per order
    completed = {p["order_ref"] for p in payment_rows(payments_db) if p["status"] == "completed"}
    assert {r["order_ref"] for r in paid} <= completed               # every paid order was paid


def assert_each_event_once(redis_db):
    """Every event the bridge mirrored is in its stream once.

    Other suites XADD entries straight into these streams (no bridge, no seen-marker) to test
    their consumers against redelivery; those are not this story's events and are left out.
    """
    for stream in ("order_events", "payment_events", "product_events"):
        ids = Counter(envelope["id"] for _, envelope in stream_events(redis_db, stream)
                      if redis_db.exists(f"bridge:seen:{envelope['id']}"))
        assert ids, stream
        assert not [i for i, n in ids.items() if n > 1], stream


def test_orders_killed_mid_checkout_finishes_every_order_once(
        rpc, redis_db, platform, orders_db, products_db, payments_db, catalog,
        people):
    stock = 30
    variant = catalog.variant(stock)
    crowd = people.shoppers(12)
    for shopper in crowd:
        rpc.cart.add_item(shopper.owner, variant, 1)
    until = time.monotonic() + 90
    started = threading.Event()

    def buy(shopper):
        started.set()
        return checkout_retrying(shopper, f"kill-orders-{shopper.user_id}", until)

    with ThreadPoolExecutor(len(crowd)) as pool:
        futures = [pool.submit(buy, s) for s in crowd]
        started.wait()
        time.sleep(0.3)
        platform.kill("orders")          # kill -9 with checkouts in flight
        time.sleep(1)
        restart(platform, "orders")
        responses = [f.result() for f in futures]

    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    rows = wait_for(lambda: all_final(orders_db, [s.user_id for s in crowd]),
                    timeout=SETTLE_S, message="every order final and settled")
    assert Counter(r["user_id"] for r in rows) == Counter(s.user_id for s in crowd)  # one each
    assert {r["status"] for r in rows} == {"paid"}
    assert_books_balance(orders_db, products_db, payments_db, variant, stock, rows)
    assert_each_event_once(redis_db)


def test_a_payment_outcome_that_arrives_while_orders_is_down_is_applied_on_restart(
        rpc, redis_db, platform, orders_db, products_db, payments_db, catalog,
        people):
    variant = catalog.variant(6)
    crowd = people.shoppers(3)
    for shopper in crowd:
        rpc.cart.add_item(shopper.owner, variant, 2)
    placed = [s.checkout(order_body(SLOW)).json() for s in crowd]   # payments keep retrying
    assert {o["status"] for o in placed} <= {"pending", "payment_pending"}

    platform.kill("orders")
    wait_for(lambda: len([p for p in payment_rows(payments_db)
                          if p["order_ref"] in {o["order_ref"] for o in placed}
                          and p["status"] == "failed"]) == 3,
             timeout=30, message="payments gave up on the slow provider")
    restart(platform, "orders")

    rows = wait_for(lambda: all_final(orders_db, [s.user_id for s in crowd]),
                    timeout=SETTLE_S, message="orders caught up")
    assert {r["status"] for r in rows} == {"payment_failed"}
    assert {r["status_reason"] for r in rows} == {"provider_timeout"}
    assert stock_of(products_db, variant) == 6
    assert_books_balance(orders_db, products_db, payments_db, variant, 6, rows)
    assert_each_event_once(redis_db)


def test_payments_down_during_checkout_leaves_no_order_hanging(
        rpc, redis_db, platform, orders_db, products_db, payments_db, catalog,
        people):
    stock = 20
    variant = catalog.variant(stock)
    crowd = people.shoppers(6)
    for shopper in crowd:
        rpc.cart.add_item(shopper.owner, variant, 1)
    early, late = crowd[:3], crowd[3:]

    platform.kill("payments")
    try:
        with ThreadPoolExecutor(len(early)) as pool:         # payments is not there at all
            during = list(pool.map(lambda s: s.checkout(order_body()), early))
        assert {r.status_code for r in during} == {201}, [r.text for r in during]
        assert {r.json()["status"] for r in during} == {"pending"}
        with ThreadPoolExecutor(len(late)) as pool:          # killed again mid-flight
            restart(platform, "payments")
            futures = [pool.submit(s.checkout, order_body()) for s in late]
            time.sleep(0.05)
            platform.kill("payments")
            responses = [f.result() for f in futures]
        assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    finally:
        restart(platform, "payments")

    rows = wait_for(lambda: all_final(orders_db, [s.user_id for s in crowd]),
                    timeout=SETTLE_S, message="every order final and settled")
    assert len(rows) == len(crowd)
    assert {r["status"] for r in rows} <= {"paid", "cancelled"}
    assert all(r["status_reason"] == "payment_timeout" for r in rows if r["status"] == "cancelled")
    assert_books_balance(orders_db, products_db, payments_db, variant, stock, rows)
    assert_each_event_once(redis_db)
