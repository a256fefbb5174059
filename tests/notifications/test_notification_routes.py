"""The inbox, preferences and back-in-stock alerts as a shopper's app uses them: HTTP to the
real gateway, which calls the real notifications (and products) services.
"""
import os
import subprocess
import sys
import uuid

import pytest

from kit.config import ROOT
from tests.notifications.helpers import People, an_id, ok, refused
from tests.support import harness
from tests.support.harness import wait_for


@pytest.fixture(scope="module")
def people(gateway_url, config):
    return People(gateway_url, config)


@pytest.fixture(scope="module")
def variant(platform, rpc):
    """A real variant of a real product: the demo catalog, loaded with the command `make up`
    uses (it adds nothing if another story loaded it already)."""
    loaded = subprocess.run(
        [sys.executable, "-m", "services.products.demo_catalog", "--env", harness.TEST_ENV,
         "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "AARYA_ENV": harness.TEST_ENV})
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    listed = rpc.products.list_products({"limit": 2})["items"]
    products = [rpc.products.get_product(p["id"]) for p in listed]
    return {"product_id": products[0]["id"], "variant_id": products[0]["variants"][0]["id"],
            "other_product_id": products[1]["id"]}


@pytest.fixture
def shopper(rpc, smtp_up, notifications_db, people):
    """A newly registered shopper whose welcome message is in their inbox, signed in."""
    tag = uuid.uuid4().hex[:10]
    user = rpc.users.register({"email": f"shopper-{tag}@example.com",
                               "username": f"shopper_{tag}", "password": "correct horse battery",
                               "full_name": f"Shopper {tag}"})
    wait_for(lambda: rpc.notifications.list_notifications(user["id"]), message="welcome message")
    return people.shopper(user["id"])


def test_a_shopper_pages_through_their_inbox_and_marks_it_read(shopper, shop, people):
    entries = [shop.publish("payment.failed", "payments", {
        "payment_id": an_id(), "order_id": an_id(), "user_id": shopper.user_id,
        "amount": 1000 + n, "currency": "INR", "reason": "card declined"})[1] for n in range(3)]
    shop.wait_consumed("payment_events", entries[-1])

    everything = ok(shopper.get("/api/notifications"))
    assert [n["type"] for n in everything["items"]] == ["payment_failed"] * 3 + ["welcome"]
    assert everything["next_before_id"] is None
    first = ok(shopper.get("/api/notifications", limit=3))
    rest = ok(shopper.get("/api/notifications", limit=3, before_id=first["next_before_id"]))
    assert [n["id"] for n in first["items"] + rest["items"]] == [
        n["id"] for n in everything["items"]]
    assert ok(shopper.get("/api/notifications/unread-count")) == {
        "user_id": shopper.user_id, "unread": 4}

    newest = everything["items"][0]["id"]
    marked = ok(shopper.post("/api/notifications/read", {"ids": [newest]}))
    assert marked == {"user_id": shopper.user_id, "marked": [newest], "unread": 3}
    unread = ok(shopper.get("/api/notifications", unread_only="true"))["items"]
    assert newest not in [n["id"] for n in unread] and len(unread) == 3

    someone_else = people.shopper()
    error = refused(someone_else.post("/api/notifications/read", {"ids": [newest]}), 404,
                    "notification_not_found")
    assert error["details"] == {"notification_ids": [newest]}
    refused(shopper.post("/api/notifications/read", {"ids": []}), 422, field="ids")
    refused(shopper.post("/api/notifications/read", {"ids": ["x"]}), 422, field="ids")
    refused(shopper.post("/api/notifications/read", {}), 422, field="ids")
    refused(shopper.get("/api/notifications", unread_only="maybe"), 422, field="unread_only")
    refused(shopper.get("/api/notifications", limit=101), 422, field="limit")

    everything_read = ok(shopper.post("/api/notifications/read-all"))
    assert everything_read["unread"] == 0 and len(everything_read["marked"]) == 3
    assert ok(shopper.get("/api/notifications/unread-count"))["unread"] == 0
    assert ok(someone_else.get("/api/notifications"))["items"] == []
    refused(people.visitor().get("/api/notifications"), 401, "missing_token")


def test_a_shopper_opts_into_promotions_by_email_and_a_typo_is_named(shopper):
    prefs = ok(shopper.get("/api/notifications/preferences"))
    assert prefs["user_id"] == shopper.user_id
    assert prefs["channels"]["email"]["promotions"] is False  # opt-in
    assert prefs["channels"]["email"]["orders"] is True

    changed = ok(shopper.patch("/api/notifications/preferences",
                               {"email": {"promotions": True}, "sms": {"orders": False}}))
    assert changed["channels"]["email"]["promotions"] is True
    assert changed["channels"]["sms"]["orders"] is False
    assert ok(shopper.get("/api/notifications/preferences")) == changed

    error = refused(shopper.patch("/api/notifications/preferences",
                                  {"emial": {"orders": False}}), 422, "validation_failed")
    assert set(error["details"]["fields"]) == {"emial"}
    refused(shopper.patch("/api/notifications/preferences", {}), 422)
    refused(shopper.request("PATCH", "/api/notifications/preferences", data="{nope",
                            headers={"Content-Type": "application/json"}), 400, "malformed_json")


def test_a_shopper_asks_once_to_hear_when_a_variant_is_back_and_can_take_it_back(
        people, variant, rpc):
    shopper = people.shopper()
    path = f"/api/products/{variant['product_id']}/variants/{variant['variant_id']}/back-in-stock"

    asked = ok(shopper.post(path), 201)
    assert (asked["user_id"], asked["product_id"], asked["variant_id"], asked["created"]) == (
        shopper.user_id, variant["product_id"], variant["variant_id"], True)
    again = ok(shopper.post(path), 200)
    assert again["id"] == asked["id"] and again["created"] is False
    assert [s["id"] for s in rpc.notifications.list_back_in_stock(shopper.user_id)] == [
        asked["id"]]

    refused(shopper.post(f"/api/products/{variant['other_product_id']}/variants/"
                         f"{variant['variant_id']}/back-in-stock"), 404, "variant_not_found")
    refused(shopper.post(f"/api/products/{variant['product_id']}/variants/99999999999/"
                         f"back-in-stock"), 404, "variant_not_found")
    refused(people.visitor().post(path), 401)

    assert ok(shopper.delete(path)) == {"user_id": shopper.user_id,
                                        "variant_id": variant["variant_id"], "cancelled": True}
    assert ok(shopper.delete(path))["cancelled"] is False
    assert rpc.notifications.list_back_in_stock(shopper.user_id) == []
