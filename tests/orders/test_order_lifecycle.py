"""Stories after checkout: who may read an order, staff moving it through the warehouse,
tracking it on its way, and cancelling it (with a refund once paid)."""
from tests.orders.helpers import SLOW, history, ledger_reasons, order_body, stock_of
from tests.support.harness import events_of_type, wait_for

SHIPMENT = {"carrier": "BlueDart", "tracking_number": "BD 7788 1234",
            "current_location": "Bengaluru hub", "estimated_delivery": "2026-12-03"}


def paid_order(rpc, catalog, shopper, stock=5, quantity=1):
    variant = catalog.variant(stock)
    rpc.cart.add_item(shopper.owner, variant, quantity)
    order = shopper.checkout(order_body()).json()
    return variant, shopper.wait_for(order["id"], "paid")


def test_a_shopper_sees_only_their_own_orders(rpc, catalog, people, staff):
    asha, ravi = people.shoppers(2)
    _, ashas = paid_order(rpc, catalog, asha)
    _, ravis = paid_order(rpc, catalog, ravi)

    peek = ravi.order(ashas["id"])
    assert peek.status_code == 404
    assert peek.json()["error"]["code"] == "order_not_found"
    assert ravi.order(10**9).json()["error"]["code"] == "order_not_found"  # same answer
    assert ravi.call("GET", f"/api/orders/{ashas['id']}/tracking").status_code == 404
    assert ravi.call("POST", f"/api/orders/{ashas['id']}/cancel").status_code == 404
    assert [o["id"] for o in ravi.call("GET", "/api/orders").json()["items"]] == [ravis["id"]]
    nosy = ravi.call("GET", f"/api/orders?user_id={asha.user_id}")
    assert nosy.status_code == 403

    everyone = staff.call("GET", "/api/orders?status=paid&limit=100").json()["items"]
    assert {ashas["id"], ravis["id"]} <= {o["id"] for o in everyone}
    assert all(o["status"] == "paid" for o in everyone)
    just_asha = staff.call("GET", f"/api/orders?user_id={asha.user_id}").json()["items"]
    assert [o["id"] for o in just_asha] == [ashas["id"]]
    assert staff.order(ashas["id"]).json()["order_ref"] == ashas["order_ref"]


def test_staff_fulfil_ship_track_and_deliver_an_order(rpc, redis_db, orders_db, catalog,
                                                      shopper, staff):
    _, order = paid_order(rpc, catalog, shopper)
    path = f"/api/orders/{order['id']}"

    assert shopper.call("POST", f"{path}/status", {"status": "fulfilled"}).status_code == 403
    early = staff.call("POST", f"{path}/status", {"status": "shipped", "tracking": SHIPMENT})
    assert early.status_code == 409
    assert early.json()["error"]["details"] == {"from": "paid", "to": "shipped",
                                                "allowed": ["fulfilled", "refunded"]}
    assert staff.call("POST", f"{path}/status", {"status": "fulfilled"}).json()["status"] \
        == "fulfilled"
    untracked = staff.call("POST", f"{path}/status", {"status": "shipped"})
    assert untracked.status_code == 422
    assert staff.call("POST", f"{path}/tracking", {"current_location": "Pune"}).status_code \
        == 409  # not on its way yet
    shipped = staff.call("POST", f"{path}/status", {"status": "shipped", "tracking": SHIPMENT})
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["tracking"]["tracking_number"] == "BD 7788 1234"

    moved = staff.call("POST", f"{path}/tracking", {"current_location": "Mumbai sorting centre",
                                                     "note": "in transit"})
    assert moved.status_code == 201, moved.text
    tracking = shopper.call("GET", f"{path}/tracking").json()
    assert (tracking["carrier"], tracking["current_location"], tracking["estimated_delivery"]) \
        == ("BlueDart", "Mumbai sorting centre", "2026-12-03")
    assert [u["current_location"] for u in tracking["updates"]] == [
        "Bengaluru hub", "Mumbai sorting centre"]
    assert shopper.call("POST", f"{path}/cancel").status_code == 409  # too late to cancel

    delivered = staff.call("POST", f"{path}/status", {"status": "delivered"}).json()
    assert delivered["status"] == "delivered" and delivered["delivered_at"]
    backwards = staff.call("POST", f"{path}/status", {"status": "fulfilled"})
    assert (backwards.status_code, backwards.json()["error"]["code"]) == (409,
                                                                          "illegal_transition")
    not_by_hand = staff.call("POST", f"{path}/status", {"status": "paid"})
    assert not_by_hand.status_code == 422
    assert history(orders_db, order["id"])[-3:] == [
        ("paid", "fulfilled"), ("fulfilled", "shipped"), ("shipped", "delivered")]

    ref = order["order_ref"]
    shipped_events = wait_for(lambda: events_of_type(redis_db, "order_events", "order.shipped",
                                                     order_ref=ref), message="order.shipped")
    assert shipped_events[0]["data"]["carrier"] == "BlueDart"
    assert shipped_events[0]["data"]["estimated_delivery"] == "2026-12-03"
    wait_for(lambda: events_of_type(redis_db, "order_events", "order.tracking.updated",
                                    order_ref=ref), message="order.tracking.updated")


def test_a_pending_order_cannot_jump_ahead(rpc, catalog, shopper, staff):
    variant = catalog.variant(3)
    rpc.cart.add_item(shopper.owner, variant, 1)
    order = shopper.checkout(order_body(SLOW)).json()  # the provider is slow: still pending
    response = staff.call("POST", f"/api/orders/{order['id']}/status", {"status": "fulfilled"})
    assert response.status_code == 409
    assert response.json()["error"]["details"]["from"] in ("pending", "payment_pending")
    shopper.wait_for(order["id"], "payment_failed")


def test_cancelling_a_paid_order_refunds_it_and_returns_the_stock(rpc, redis_db, products_db,
                                                                  catalog, shopper):
    variant, order = paid_order(rpc, catalog, shopper, stock=4, quantity=2)
    wait_for(lambda: "reserve" in ledger_reasons(products_db, order["order_ref"]))
    assert stock_of(products_db, variant) == 2

    response = shopper.call("POST", f"/api/orders/{order['id']}/cancel",
                            {"reason": "changed_my_mind"})

    assert response.status_code == 200, response.text
    refunded = shopper.wait_for(order["id"], "refunded")
    assert refunded["refunded_amount"] == refunded["total_amount"]
    assert refunded["cancellation"]["reason"] == "changed_my_mind"
    assert refunded["payment"]["status"] == "refunded"
    wait_for(lambda: stock_of(products_db, variant) == 4, message="stock returned")
    assert ledger_reasons(products_db, order["order_ref"]) == ["reserve", "return"]
    again = shopper.call("POST", f"/api/orders/{order['id']}/cancel")
    assert (again.status_code, again.json()["status"]) == (200, "refunded")
    wait_for(lambda: events_of_type(redis_db, "payment_events", "refund.processed",
                                    order_ref=order["order_ref"]), message="refund.processed")
    moves = [(h["old_status"], h["new_status"]) for h in refunded["history"]]
    assert moves[-1] == ("paid", "refunded")


def test_cancelling_before_payment_voids_it_and_releases_the_stock(rpc, products_db, catalog,
                                                                   shopper):
    variant = catalog.variant(3)
    rpc.cart.add_item(shopper.owner, variant, 3)
    order = shopper.checkout(order_body(SLOW)).json()
    assert order["status"] in ("pending", "payment_pending")

    cancelled = shopper.call("POST", f"/api/orders/{order['id']}/cancel").json()

    assert cancelled["status"] == "cancelled"
    assert cancelled["status_reason"] == "cancelled_by_customer"
    wait_for(lambda: stock_of(products_db, variant) == 3, message="stock released")
    assert ledger_reasons(products_db, order["order_ref"]) == ["reserve", "release"]
