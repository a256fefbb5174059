"""The flash sale: 200 shoppers, each with one unit in their cart, check out at the same
instant for a variant with 50 on the shelf. Exactly 50 orders are placed and paid, the shelf
ends at 0, and the payments database agrees with the orders database line for line.

On a busy machine the gateway may answer 503 (no RPC proxy free within its timeout) to some
of the 200; they retry with the same Idempotency-Key, as the API asks, which can never make
a second order."""
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.orders.helpers import order_body, orders_rows, payment_rows, stock_of
from tests.support.harness import wait_for

SHOPPERS, STOCK = 200, 50


def test_two_hundred_shoppers_race_for_fifty_units_and_exactly_fifty_pay(
        rpc, orders_db, products_db, payments_db, catalog, people):
    variant = catalog.variant(STOCK)
    crowd = people.shoppers(SHOPPERS)
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda s: rpc_add(people, s, variant), crowd))
    gate = threading.Barrier(SHOPPERS)

    retried = Counter()

    def buy(shopper):
        gate.wait()
        key = f"sale-{shopper.user_id}"
        for _ in range(10):
            response = shopper.checkout(order_body(), key=key)
            if response.status_code != 503:
                return response
            # 503 says "retry shortly": a client does, with the same key (never a 2nd order)
            retried[response.json()["error"]["code"]] += 1
            time.sleep(1)
        return response

    with ThreadPoolExecutor(SHOPPERS) as pool:
        responses = list(pool.map(buy, crowd))
    print(f"checkouts retried after a 503: {dict(retried) or 'none'}")

    outcomes = Counter(r.status_code for r in responses)
    assert outcomes == {201: STOCK, 409: SHOPPERS - STOCK}, [
        r.text for r in responses if r.status_code not in (201, 409)][:3]
    refusals = {r.json()["error"]["code"] for r in responses if r.status_code == 409}
    assert refusals == {"out_of_stock"}
    placed = {r.json()["order_ref"]: shopper for r, shopper in zip(responses, crowd)
              if r.status_code == 201}
    for ref, shopper in placed.items():
        shopper.wait_for(next(r.json()["id"] for r in responses
                              if r.status_code == 201 and r.json()["order_ref"] == ref),
                         "paid", timeout=60)
    assert stock_of(products_db, variant) == 0

    orders = {row["order_ref"]: row for row in orders_rows(
        orders_db, "order_ref = ANY(:refs)", refs=list(placed))}
    assert len(orders) == STOCK and {o["status"] for o in orders.values()} == {"paid"}
    assert {o["user_id"] for o in orders.values()} == {s.user_id for s in placed.values()}
    wait_for(lambda: all(o["settled_at"] for o in orders_rows(
        orders_db, "order_ref = ANY(:refs)", refs=list(placed))), timeout=30,
        message="every paid order's stock committed and cart cleared")

    ours = [p for p in payment_rows(payments_db) if p["order_ref"] in placed]
    every_ref = {p["order_ref"] for p in payment_rows(payments_db)}
    known = {row["order_ref"] for row in orders_rows(orders_db)}
    assert every_ref <= known                                    # no payment without an order
    assert Counter(p["order_ref"] for p in ours) == Counter(list(placed))  # one payment per order
    assert {p["status"] for p in ours} == {"completed"}             # none paid twice, none lost
    losers = [s for r, s in zip(responses, crowd) if r.status_code == 409]
    assert not orders_rows(orders_db, "user_id = ANY(:u)", u=[s.user_id for s in losers])


def rpc_add(people, shopper, variant):
    people.rpc().cart.add_item(shopper.owner, variant, 1)
