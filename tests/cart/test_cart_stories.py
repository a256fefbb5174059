"""Stories of shoppers and their carts, against the real cart and products services."""
import threading

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from kit.errors import Conflict
from services.cart.carts import CartSettings
from tests.cart.conftest import cart_events, cart_id
from tests.support.harness import wait_for


def line(cart, variant_id):
    return next((l for l in cart["lines"] if l["variant_id"] == variant_id), None)


def quantities(cart):
    return {l["variant_id"]: l["quantity"] for l in cart["lines"]}


def test_a_shopper_fills_a_cart_and_sees_each_line_priced_now(rpc, catalog, shopper):
    kurta = catalog.product([5, 3], price=129900)
    small, medium = kurta["variant_ids"]

    rpc.cart.add_item(shopper, small, 2)
    cart = rpc.cart.add_item(shopper, medium, 1)
    assert cart["cart_id"] == cart_id(shopper) and cart["owner"] == shopper
    assert quantities(cart) == {small: 2, medium: 1}
    assert line(cart, small) | {"problems": []} == line(cart, small)
    assert line(cart, small)["unit_price"] == 129900 and line(cart, small)["currency"] == "INR"
    assert line(cart, small)["line_total"] == 2 * 129900
    assert line(cart, small)["available_quantity"] == 5 and line(cart, small)["in_stock"]
    assert line(cart, small)["is_active"] and line(cart, small)["product_id"] == kurta["product_id"]
    assert cart["subtotal"] == 3 * 129900 and cart["currency"] == "INR"
    assert cart["item_count"] == 2 and cart["total_quantity"] == 3 and cart["checkout_ready"]

    # The price and the stock shown are the products service's, at read time.
    catalog.set_price(small, 99900)
    catalog.set_stock(medium, 0)
    cart = rpc.cart.get_cart(shopper)
    assert line(cart, small)["unit_price"] == 99900 and line(cart, small)["line_total"] == 199800
    assert line(cart, medium)["in_stock"] is False
    assert line(cart, medium)["problems"] == ["out_of_stock"]
    assert cart["checkout_ready"] is False

    cart = rpc.cart.update_item(shopper, small, 1)
    assert quantities(cart) == {small: 1, medium: 1}
    cart = rpc.cart.update_item(shopper, medium, 0)  # 0 removes the line
    assert quantities(cart) == {small: 1}
    cart = rpc.cart.remove_item(shopper, small)
    assert cart["lines"] == [] and cart["subtotal"] == 0 and cart["updated_at"] is None


def test_an_empty_cart_reads_as_empty_for_anyone(rpc, guest):
    cart = rpc.cart.get_cart(guest)
    assert cart["lines"] == [] and cart["total_quantity"] == 0
    assert cart["owner"] == guest and cart["cart_id"].startswith("guest:")
    assert guest["session_id"] not in cart["cart_id"]  # the cookie value never leaves as an id


def test_a_guest_cart_merges_at_login_with_quantities_capped_by_stock(
        rpc, catalog, guest, shopper, redis_db):
    shirt = catalog.product([5, 10, 3])
    a, b, d = shirt["variant_ids"]
    retired = catalog.product([4])
    c = retired["variant_ids"][0]

    rpc.cart.add_item(guest, a, 3)
    rpc.cart.add_item(guest, b, 2)
    rpc.cart.add_item(guest, c, 1)
    rpc.cart.add_item(shopper, a, 4)   # the same shopper, earlier, on another device
    rpc.cart.add_item(shopper, d, 1)
    catalog.deactivate(retired["product_id"])

    merged = rpc.cart.merge_carts(guest["session_id"], shopper["user_id"])
    assert merged["owner"] == shopper
    assert quantities(merged) == {a: 5, b: 2, d: 1}  # 4 + 3 capped at the 5 in stock
    report = {l["variant_id"]: l for l in merged["merge"]["lines"]}
    assert report[a]["added"] == 1 and report[a]["capped"] is True
    assert report[b]["added"] == 2 and report[b]["capped"] is False
    assert report[c]["added"] == 0 and report[c]["dropped"] == "product_inactive"
    assert merged["merge"]["from"] == cart_id(guest)

    assert rpc.cart.get_cart(guest)["lines"] == []
    assert not redis_db.exists(f"cart:session:{guest['session_id']}")

    again = rpc.cart.merge_carts(guest["session_id"], shopper["user_id"])  # a retried login
    assert quantities(again) == {a: 5, b: 2, d: 1} and again["merge"]["lines"] == []

    updates = wait_for(lambda: [e for e in cart_events(redis_db, shopper, "cart.updated")
                                if e["data"]["reason"] == "merged"], message="cart.updated merged")
    assert len(updates) == 1
    assert updates[0]["data"]["lines"] == {str(a): 5, str(b): 2, str(d): 1}
    assert updates[0]["data"]["merged_from"] == cart_id(guest)


def test_a_second_device_of_the_same_shopper_sees_the_same_cart(config, platform, catalog,
                                                                 shopper):
    tee = catalog.variant(stock=8)
    with ClusterRpcProxy(config, timeout=30) as phone, \
            ClusterRpcProxy(config, timeout=30) as laptop:
        phone.cart.add_item(shopper, tee, 2)
        assert quantities(laptop.cart.get_cart(shopper)) == {tee: 2}
        laptop.cart.add_item(shopper, tee, 1)
        assert quantities(phone.cart.get_cart(shopper)) == {tee: 3}
        phone.cart.update_item(shopper, tee, 1)
        assert quantities(laptop.cart.get_cart(shopper)) == {tee: 1}


def test_twenty_devices_adding_the_same_item_at_once_lose_no_update(config, platform, catalog,
                                                                    shopper, redis_db):
    socks = catalog.variant(stock=50)
    devices = 20
    start = threading.Barrier(devices)
    errors = []

    def add_one():
        try:
            with ClusterRpcProxy(config, timeout=30) as device:
                start.wait(timeout=30)
                device.cart.add_item(shopper, socks, 1)
        except Exception as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=add_one) for _ in range(devices)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with ClusterRpcProxy(config, timeout=30) as device:
        assert quantities(device.cart.get_cart(shopper)) == {socks: devices}

    # Each add saw the one before it: the line went 1, 2, ..., 20, each step exactly once.
    added = wait_for(lambda: len(cart_events(redis_db, shopper, "cart.item_added")) >= devices
                     and cart_events(redis_db, shopper, "cart.item_added"),
                     message="20 cart.item_added")
    assert sorted(e["data"]["line_quantity"] for e in added) == list(range(1, devices + 1))


def test_a_line_of_a_deactivated_product_is_shown_as_such_and_can_only_shrink(
        rpc, catalog, shopper):
    dress = catalog.product([6])
    variant = dress["variant_ids"][0]
    rpc.cart.add_item(shopper, variant, 3)
    catalog.deactivate(dress["product_id"])

    cart = rpc.cart.get_cart(shopper)
    assert line(cart, variant)["is_active"] is False
    assert line(cart, variant)["problems"] == ["product_inactive"]
    assert cart["checkout_ready"] is False and cart["subtotal"] == 0
    assert quantities(rpc.cart.update_item(shopper, variant, 1)) == {variant: 1}
    assert rpc.cart.remove_item(shopper, variant)["lines"] == []


def test_checkout_places_an_advisory_hold_per_line_that_expires(rpc, catalog, shopper,
                                                                redis_db):
    other_shopper = {"user_id": shopper["user_id"] + 1}
    jeans = catalog.product([4, 4])
    first, second = jeans["variant_ids"]
    rpc.cart.add_item(shopper, first, 2)
    rpc.cart.add_item(shopper, second, 1)
    order_ref = f"ord-{shopper['user_id']}"

    hold = rpc.cart.hold_for_checkout(shopper, order_ref, 120)
    assert hold["order_ref"] == order_ref and hold["ttl_s"] == 120
    assert {l["variant_id"]: l["quantity"] for l in hold["lines"]} == {first: 2, second: 1}
    assert hold["subtotal"] == 3 * 129900 and hold["currency"] == "INR"
    assert redis_db.get(f"inventory:lock:{first}:{order_ref}") == "2"
    assert 0 < redis_db.ttl(f"inventory:lock:{first}:{order_ref}") <= 120

    # Checkout restarted after the shopper dropped a line: the stale lock goes.
    rpc.cart.remove_item(shopper, second)
    rpc.cart.hold_for_checkout(shopper, order_ref, 60)
    assert not redis_db.exists(f"inventory:lock:{second}:{order_ref}")
    assert 0 < redis_db.ttl(f"inventory:lock:{first}:{order_ref}") <= 60

    with pytest.raises(Conflict) as taken:  # another shopper's checkout cannot take the ref over
        rpc.cart.add_item(other_shopper, first, 1)
        rpc.cart.hold_for_checkout(other_shopper, order_ref)
    assert taken.value.code == "order_ref_taken"
    assert redis_db.get(f"inventory:lock:{first}:{order_ref}") == "2"

    assert rpc.cart.release_hold(order_ref) == {"order_ref": order_ref, "released_lines": 1}
    assert not redis_db.exists(f"inventory:lock:{first}:{order_ref}")
    assert rpc.cart.release_hold(order_ref)["released_lines"] == 0


def test_a_cart_expires_thirty_days_after_its_last_change(rpc, catalog, config, shopper,
                                                          redis_db):
    rpc.cart.add_item(shopper, catalog.variant(stock=2), 1)
    ttl_s = CartSettings.from_config(config).ttl_s  # CART.ttl_s, 30 days unless configured
    ttl = redis_db.ttl(f"cart:{shopper['user_id']}")
    assert ttl_s - 60 < ttl <= ttl_s
    assert rpc.cart.get_cart(shopper)["expires_at"] is not None
