"""What checkout and the order routes really answer is what /api/openapi.json says they answer:
a shopper fills a cart and pays with the test card, staff ship the order, a second order is
cancelled after payment and a third is declined, and every real response (the order's payment
too, as its owner and as staff see it) validates against its documented schema."""
from tests.orders.helpers import DECLINED, order_body
from tests.support.openapi import checked, served_document

SHIPMENT = {"carrier": "BlueDart", "tracking_number": "BD 7788 1234",
            "current_location": "Bengaluru hub", "estimated_delivery": "2026-12-03"}


def test_real_order_responses_match_their_response_schemas(shop, catalog, shopper, staff):
    document = served_document(shop)
    kurta, scarf, shawl = catalog.variants(5, 5, 5)
    added = shopper.call("POST", "/api/cart/items", {"variant_id": kurta, "quantity": 2})
    checked(document, "/api/cart/items", "post", added, 200)

    placed = checked(document, "/api/orders", "post",
                     shopper.checkout(order_body(notes="Gift wrap, please")), 201)
    path = f"/api/orders/{placed['id']}"
    shopper.wait_for(placed["id"], "paid")
    details = checked(document, "/api/orders/{order_id}", "get", shopper.order(placed["id"]), 200)
    assert details["history"] and details["tracking"]["updates"] == []
    mine = checked(document, "/api/orders", "get", shopper.call("GET", "/api/orders"), 200)
    assert [o["id"] for o in mine["items"]] == [placed["id"]]
    checked(document, "/api/orders", "get", staff.call("GET", "/api/orders?limit=1"), 200)
    checked(document, "/api/orders/{order_id}/tracking", "get",
            shopper.call("GET", f"{path}/tracking"), 200)

    for status in ("fulfilled", "shipped"):
        body = {"status": status, **({"tracking": SHIPMENT} if status == "shipped" else {})}
        checked(document, "/api/orders/{order_id}/status", "post",
                staff.call("POST", f"{path}/status", body), 200)
    checked(document, "/api/orders/{order_id}/tracking", "post",
            staff.call("POST", f"{path}/tracking", {"current_location": "Mumbai sorting centre",
                                                   "note": "On its way"}), 201)
    tracking = checked(document, "/api/orders/{order_id}/tracking", "get",
                       shopper.call("GET", f"{path}/tracking"), 200)
    assert len(tracking["updates"]) == 2 and tracking["estimated_delivery"] == "2026-12-03"

    payment_path = f"/api/payments/{details['payment']['payment_id']}"
    as_owner = checked(document, "/api/payments/{payment_id}", "get",
                       shopper.call("GET", payment_path), 200)
    assert "attempts" not in as_owner
    as_staff = checked(document, "/api/payments/{payment_id}", "get",
                       staff.call("GET", payment_path), 200)
    assert as_staff["attempts"] and as_staff["fraud"] is not None

    shopper.call("POST", "/api/cart/items", {"variant_id": scarf, "quantity": 1})
    second = shopper.checkout().json()
    shopper.wait_for(second["id"], "paid")
    cancelled = checked(document, "/api/orders/{order_id}/cancel", "post",
                        shopper.call("POST", f"/api/orders/{second['id']}/cancel",
                                     {"reason": "changed_my_mind"}), 200)
    assert cancelled["cancellation"]["reason"] == "changed_my_mind"
    refunded = shopper.wait_for(second["id"], "refunded")
    assert refunded["cancellation"]["refunded_at"] is not None
    checked(document, "/api/orders/{order_id}", "get", shopper.order(second["id"]), 200)

    shopper.call("POST", "/api/cart/items", {"variant_id": shawl, "quantity": 1})
    declined = checked(document, "/api/orders", "post",
                       shopper.checkout(order_body(DECLINED)), 201)
    failed = shopper.wait_for(declined["id"], "payment_failed")
    assert failed["payment"]["failure_code"] is not None
    checked(document, "/api/orders/{order_id}", "get", shopper.order(declined["id"]), 200)
