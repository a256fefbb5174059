"""What the inbox, preferences, back-in-stock alerts, support chat and promotions really answer
is what /api/openapi.json says they answer: a new shopper reads and marks their welcome
message, changes a preference, waits for a variant, talks to an agent, and a merchandiser runs
a promotion; every real response validates against its documented schema."""
import uuid
from datetime import datetime, timedelta, timezone

from tests.notifications.helpers import People
from tests.support.harness import wait_for
from tests.support.openapi import checked, served_document


def at(seconds):
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat()


def test_real_notification_responses_match_their_response_schemas(
        gateway_url, config, rpc, smtp_up, notifications_db, demo_catalog):
    document = served_document(gateway_url)
    people = People(gateway_url, config)
    tag = uuid.uuid4().hex[:10]
    user = rpc.users.register({"email": f"schema-{tag}@example.com",
                               "username": f"schema_{tag}", "password": "correct horse battery",
                               "full_name": f"Schema {tag}"})
    wait_for(lambda: rpc.notifications.list_notifications(user["id"]), message="welcome message")
    shopper = people.shopper(user["id"])

    inbox = checked(document, "/api/notifications", "get", shopper.get("/api/notifications"))
    assert inbox["items"] and inbox["items"][0]["is_read"] is False
    checked(document, "/api/notifications/unread-count", "get",
            shopper.get("/api/notifications/unread-count"))
    marked = checked(document, "/api/notifications/read", "post", shopper.post(
        "/api/notifications/read", {"ids": [inbox["items"][0]["id"]]}))
    assert marked["marked"] == [inbox["items"][0]["id"]]
    checked(document, "/api/notifications/read-all", "post",
            shopper.post("/api/notifications/read-all"))
    read = checked(document, "/api/notifications", "get", shopper.get("/api/notifications"))
    assert read["items"][0]["read_at"] is not None
    checked(document, "/api/notifications/preferences", "get",
            shopper.get("/api/notifications/preferences"))
    checked(document, "/api/notifications/preferences", "patch", shopper.patch(
        "/api/notifications/preferences", {"email": {"promotions": True}}))

    product = rpc.products.get_product(rpc.products.list_products({"limit": 1})["items"][0]["id"])
    alert = (f"/api/products/{product['id']}/variants/{product['variants'][0]['id']}"
             "/back-in-stock")
    template = "/api/products/{product_id}/variants/{variant_id}/back-in-stock"
    checked(document, template, "post", shopper.post(alert), 201)
    checked(document, template, "post", shopper.post(alert), 200)  # asked already
    checked(document, template, "delete", shopper.delete(alert))

    agent = people.agent()
    chat = checked(document, "/api/chat/conversations", "post",
                   shopper.post("/api/chat/conversations"))
    messages = f"/api/chat/conversations/{chat['id']}/messages"
    template = "/api/chat/conversations/{conversation_id}/messages"
    checked(document, template, "post", shopper.post(messages, {"body": "Where is my kurta?"}),
            201)
    waiting = checked(document, "/api/chat/conversations", "get",
                      agent.get("/api/chat/conversations"))
    assert chat["id"] in [c["id"] for c in waiting["items"]]
    taken = checked(document, "/api/chat/conversations/{conversation_id}/assign", "post",
                    agent.post(f"/api/chat/conversations/{chat['id']}/assign"))
    assert taken["agent_id"] == agent.user_id
    checked(document, template, "post", agent.post(messages, {"body": "On its way."}), 201)
    page = checked(document, template, "get", shopper.get(messages, limit=1))
    assert page["next_before_id"] is not None
    checked(document, "/api/chat/conversations/{conversation_id}/close", "post",
            shopper.post(f"/api/chat/conversations/{chat['id']}/close"))

    merchandiser = people.agent(role="admin")
    made = checked(document, "/api/promotions", "post", merchandiser.post("/api/promotions", {
        "title": f"Schema week {tag}", "description": None, "discount_percent": 20,
        "starts_at": at(-60), "ends_at": at(3600)}), 201)
    assert made["status"] == "live" and made["product_ids"] is None
    checked(document, "/api/promotions/{promotion_id}", "patch", merchandiser.patch(
        f"/api/promotions/{made['id']}", {"product_ids": [product["id"]]}))
    live = checked(document, "/api/promotions", "get", shopper.get("/api/promotions"))
    assert made["id"] in [p["id"] for p in live["items"]]
    checked(document, "/api/promotions", "get", merchandiser.get("/api/promotions", status="all",
                                                                  limit=1))
    ended = checked(document, "/api/promotions/{promotion_id}/end", "post",
                    merchandiser.post(f"/api/promotions/{made['id']}/end"))
    assert ended["status"] == "ended"
