"""What other services can observe of carts: events in `cart_events` (mirrored by the bridge from
`cart.events`), entries in `cart:analytics`, abandoned carts, and delivery across a kill -9."""
import time

import pytest

from tests.cart.conftest import (all_cart_events, analytics_entries, cart_events, cart_id,
                                 outbox_envelopes)
from tests.support.harness import wait_for


def test_adding_and_removing_items_emits_events_and_analytics_entries(rpc, catalog, shopper,
                                                                      redis_db):
    kurta = catalog.product([5], price=149900)
    variant = kurta["variant_ids"][0]
    rpc.cart.add_item(shopper, variant, 2)
    rpc.cart.update_item(shopper, variant, 3)
    rpc.cart.update_item(shopper, variant, 1)
    rpc.cart.remove_item(shopper, variant)
    rpc.cart.remove_item(shopper, variant)  # already gone: nothing happens

    wait_for(lambda: len(cart_events(redis_db, shopper, "cart.updated")) >= 4,
             message="four cart.updated")
    time.sleep(0.5)  # room for a duplicate or a stray event to show up
    added = cart_events(redis_db, shopper, "cart.item_added")
    removed = cart_events(redis_db, shopper, "cart.item_removed")
    assert [(e["data"]["quantity"], e["data"]["line_quantity"]) for e in added] == [(2, 2), (1, 3)]
    assert [(e["data"]["quantity"], e["data"]["line_quantity"]) for e in removed] == [(2, 1),
                                                                                      (1, 0)]
    first = added[0]
    assert first["source"] == "cart" and first["version"] == 1
    assert first["data"] == {"cart_id": cart_id(shopper), "user_id": shopper["user_id"],
                             "variant_id": variant, "product_id": kurta["product_id"],
                             "sku": first["data"]["sku"], "unit_price": 149900,
                             "currency": "INR", "quantity": 2, "line_quantity": 2}
    updates = cart_events(redis_db, shopper, "cart.updated")
    assert [(u["data"]["reason"], u["data"]["lines"], u["data"]["total_quantity"])
            for u in updates] == [("item_added", {str(variant): 2}, 2),
                                  ("item_added", {str(variant): 3}, 3),
                                  ("item_removed", {str(variant): 1}, 1),
                                  ("item_removed", {}, 0)]
    assert len(all_cart_events(redis_db, shopper)) == 8

    entries = analytics_entries(redis_db, shopper)
    assert [(e["action"], e["variant_id"], e["quantity"], e["line_quantity"]) for e in entries] \
        == [("added", str(variant), "2", "2"), ("added", str(variant), "1", "3"),
            ("removed", str(variant), "2", "1"), ("removed", str(variant), "1", "0")]


def test_clearing_a_cart_emits_one_update_and_a_guest_is_named_by_a_hash(rpc, catalog, guest,
                                                                         redis_db):
    rpc.cart.add_item(guest, catalog.variant(stock=3), 1)
    assert rpc.cart.clear_cart(guest)["lines"] == []
    rpc.cart.clear_cart(guest)  # an empty cart: nothing to say
    cleared = wait_for(lambda: [e for e in cart_events(redis_db, guest, "cart.updated")
                                if e["data"]["reason"] == "cleared"], message="cleared")
    time.sleep(0.5)
    assert len([e for e in cart_events(redis_db, guest, "cart.updated")
                if e["data"]["reason"] == "cleared"]) == 1
    assert cleared[0]["data"]["user_id"] is None and cleared[0]["data"]["lines"] == {}
    assert [e["action"] for e in analytics_entries(redis_db, guest)] == ["added", "cleared"]
    assert guest["session_id"] not in str(all_cart_events(redis_db, guest))


@pytest.fixture
def restart_cart(platform):
    """Restart the cart process with extra env for one test; put it back as it was after."""
    def restart(**env):
        platform.kill("cart")
        platform.start("cart", extra_env=env)
        platform.wait_healthy("cart")
    yield restart
    platform.kill("cart")
    platform.start("cart")
    platform.wait_healthy("cart")


def test_an_idle_cart_is_reported_abandoned_once_per_idle_period(rpc, catalog, shopper,
                                                                 redis_db, restart_cart):
    restart_cart(CART_ABANDON_AFTER_S="1", CART_ABANDON_SCAN_INTERVAL_S="0.2")
    variant = catalog.variant(stock=4)
    rpc.cart.add_item(shopper, variant, 2)

    abandoned = wait_for(lambda: cart_events(redis_db, shopper, "cart.abandoned"), timeout=15,
                         message="cart.abandoned")
    time.sleep(2.5)  # more than two abandon periods, a dozen scans: still one report
    assert len(cart_events(redis_db, shopper, "cart.abandoned")) == 1
    assert abandoned[0]["data"]["lines"] == {str(variant): 2}
    assert abandoned[0]["data"]["total_quantity"] == 2 and abandoned[0]["data"]["idle_s"] >= 1
    # The cart itself is still there for the shopper to come back to.
    assert rpc.cart.get_cart(shopper)["lines"][0]["quantity"] == 2

    rpc.cart.add_item(shopper, variant, 1)  # the shopper is back: a new idle period starts
    wait_for(lambda: len(cart_events(redis_db, shopper, "cart.abandoned")) == 2, timeout=15,
             message="a second cart.abandoned")
    time.sleep(2.5)
    reports = cart_events(redis_db, shopper, "cart.abandoned")
    assert len(reports) == 2 and reports[1]["data"]["lines"] == {str(variant): 3}


def test_a_cart_killed_right_after_a_change_still_delivers_its_events_once(
        rpc, catalog, shopper, redis_db, restart_cart, platform):
    # The relay is held: the change and its events are written, nothing is published yet.
    restart_cart(OUTBOX_RELAY_PAUSED="true")
    variant = catalog.variant(stock=3)
    rpc.cart.add_item(shopper, variant, 1)

    staged = [e for e in outbox_envelopes(redis_db) if e["data"].get("cart_id") == cart_id(shopper)]
    assert sorted(e["type"] for e in staged) == ["cart.item_added", "cart.updated"]
    time.sleep(1.5)  # longer than the relay's poll: still nothing may have gone out
    assert all_cart_events(redis_db, shopper) == []

    platform.kill("cart")  # SIGKILL: no chance to flush anything
    platform.start("cart")
    platform.wait_healthy("cart")

    wait_for(lambda: len(all_cart_events(redis_db, shopper)) >= 2, message="events after restart")
    time.sleep(1.0)
    delivered = all_cart_events(redis_db, shopper)
    assert sorted(e["id"] for e in delivered) == sorted(e["id"] for e in staged)
    assert [e for e in outbox_envelopes(redis_db)
            if e["data"].get("cart_id") == cart_id(shopper)] == []
