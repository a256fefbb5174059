"""Stories of the public SSE feeds: stock alerts, price changes, product updates, promotions;
and of a client that was away coming back with Last-Event-ID and missing nothing."""
import random
import threading

import pytest
import requests

from tests.realtime.support.clients import SseClient

STOCK_STATUSES = ("low_stock", "out_of_stock", "back_in_stock")


def a_product():
    return random.randint(10 ** 6, 10 ** 7)


def feed(gateway, topic, last_event_id=None):
    client = SseClient(f"{gateway.base_url}/sse/{topic}", last_event_id=last_event_id)
    first = client.next(timeout=10)
    assert first.event in ("ready", "reset"), first
    client.first = first
    return client


def test_a_feed_is_an_event_stream_that_starts_with_ready(gateway):
    response = requests.get(f"{gateway.base_url}/sse/stock-alerts", stream=True, timeout=10)
    try:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-cache"
    finally:
        response.close()
    client = feed(gateway, "stock-alerts")
    try:
        assert client.first.event == "ready" and client.first.id  # where it starts, to resume from
        assert client.first.data == {"topic": "stock-alerts", "resumed": False}
    finally:
        client.close()


def test_stock_alerts_carry_low_out_and_back_in_stock_without_order_details(gateway, shop):
    product = a_product()
    client = feed(gateway, "stock-alerts")
    try:
        shop.stock_change(product, "in_stock", new=40)  # not an alert
        ids = [shop.stock_change(product, status) for status in STOCK_STATUSES]
        events = client.take(3)
        assert [e.id for e in events] == ids
        assert [e.event for e in events] == ["product.inventory.updated"] * 3
        assert [e.data["data"]["status"] for e in events] == list(STOCK_STATUSES)
        assert all(e.data["id"] == e.id for e in events)
        assert all("order_ref" not in e.data["data"] and "reason" not in e.data["data"]
                   for e in events)
    finally:
        client.close()


def test_price_changes_and_product_updates(gateway, shop):
    product = a_product()
    prices = feed(gateway, "price-changes")
    updates = feed(gateway, "product-updates")
    try:
        renamed = shop.publish("product.updated", "products", {
            "product_id": product, "variant_id": None, "currency": "INR",
            "changes": {"name": {"old": "Kurta", "new": "Linen kurta"}}})
        shop.publish("product.viewed", "products", {"product_id": product, "user_id": 5,
                                                    "session_id": None, "viewed_at": "x"})
        repriced = shop.publish("product.updated", "products", {
            "product_id": product, "variant_id": None, "currency": "INR",
            "changes": {"price": {"old": 149900, "new": 129900}},
            "old_price": 149900, "new_price": 129900})
        assert [e.id for e in updates.take(2)] == [renamed, repriced]  # no product.viewed
        (price,) = prices.take(1)
        assert price.id == repriced and price.data["data"]["new_price"] == 129900
    finally:
        prices.close()
        updates.close()


def test_a_client_back_from_a_disconnect_gets_exactly_the_100_it_missed_in_order(
        gateway, shop):
    product = a_product()
    client = feed(gateway, "stock-alerts")
    shop.stock_change(product, "low_stock")
    (seen,) = client.take(1)
    client.close()

    missed = []
    for n in range(100):
        shop.stock_change(product, "in_stock", new=50)  # interleaved events the feed filters out
        missed.append(shop.stock_change(product, STOCK_STATUSES[n % 3], new=n % 5))

    back = feed(gateway, "stock-alerts", last_event_id=seen.id)
    try:
        assert back.first.event == "ready" and back.first.data["resumed"] is True
        replayed = back.take(100)
        assert [e.id for e in replayed] == missed
        live = shop.stock_change(product, "out_of_stock", new=0)
        (after,) = back.take(1)
        assert after.id == live  # live events follow, none repeated, none skipped
    finally:
        back.close()


def test_events_published_while_a_client_resumes_arrive_once_and_in_order(gateway, shop):
    product = a_product()
    client = feed(gateway, "stock-alerts")
    shop.stock_change(product, "low_stock")
    (seen,) = client.take(1)
    client.close()
    expected = [shop.stock_change(product, "out_of_stock", new=0) for _ in range(150)]

    more = []
    publisher = threading.Thread(target=lambda: more.extend(
        shop.stock_change(product, "back_in_stock") for _ in range(150)))
    publisher.start()  # keeps publishing while the client reconnects and replays
    back = SseClient(f"{gateway.base_url}/sse/stock-alerts?last_event_id={seen.id}")
    try:
        publisher.join()
        events = back.take(300, event="product.inventory.updated", timeout=30,
                           where=lambda e: e.data["data"]["product_id"] == product)
        assert [e.id for e in events] == expected + more
    finally:
        back.close()


@pytest.mark.parametrize("last_event_id", ["not-an-id", "99999999999999-0", "1-0"])
def test_an_unknown_or_trimmed_last_event_id_gets_a_reset_then_live_events(
        gateway, shop, last_event_id):
    client = feed(gateway, "stock-alerts", last_event_id=last_event_id)
    try:
        assert client.first.event == "reset"
        assert client.first.data["reason"] in ("unknown_last_event_id", "last_event_id_trimmed")
        assert client.first.id  # resuming from the reset's id misses nothing after it
        live = shop.stock_change(a_product(), "low_stock")
        (event,) = client.take(1)
        assert event.id == live
    finally:
        client.close()


def test_a_last_event_id_older_than_the_stream_holds_gets_a_reset(gateway, shop, redis_db):
    product = a_product()
    first = shop.stock_change(product, "low_stock")
    shop.stock_change(product, "low_stock")
    redis_db.xtrim("product_events", minid=shop.stock_change(product, "low_stock"),
                   approximate=False)
    client = feed(gateway, "stock-alerts", last_event_id=first)
    try:
        assert client.first.event == "reset"
        assert client.first.data["reason"] == "last_event_id_trimmed"
    finally:
        client.close()


def test_an_idle_feed_hears_heartbeats(brisk_gateway):
    client = SseClient(f"{brisk_gateway.base_url}/sse/promotions")
    try:
        assert client.next(timeout=10).event == "ready"
        client.ended.wait(5)  # nothing happens for 5 s but `: ping` comments every 2 s
        assert client.comments >= 2
    finally:
        client.close()


def test_promotions_reach_the_promotions_feed(gateway, shop):
    client = feed(gateway, "promotions")
    try:
        shop.publish("notification.email", "notifications", {"user_id": 1, "status": "sent"})
        started = shop.publish("promotion.started", "notifications", {
            "id": 901, "title": "Festive 20% off", "discount_percent": 20, "status": "live"})
        (event,) = client.take(1)
        assert (event.id, event.event) == (started, "promotion.started")
        assert event.data["data"]["title"] == "Festive 20% off"
    finally:
        client.close()
