"""Stories of the notifications service, on the real platform: real users service, real bridge,
real Redis streams, a real SMTP server receiving the mail.
"""
import random
import time
import uuid

import pytest

from kit.errors import NotFound, ValidationFailed
from tests.support.harness import events_of_type, wait_for


def new_account(tag=None, **extra):
    tag = tag or uuid.uuid4().hex[:10]
    return {"email": f"shopper-{tag}@example.com", "username": f"shopper_{tag}",
            "password": "correct horse battery", "full_name": f"Shopper {tag}", **extra}


def registered(rpc, smtp, **account):
    """A new shopper whose welcome email has arrived (so the service knows their address)."""
    user = rpc.users.register(new_account(**account))
    smtp.wait_for(user["email"], "welcome")
    return user


def notification_events(redis_db, event_type, **match):
    return events_of_type(redis_db, "notification_events", event_type, **match)


def an_id():
    return random.randint(10 ** 9, 10 ** 12)


def test_a_new_shopper_gets_a_real_welcome_email_and_an_inbox_message(
        rpc, smtp_up, redis_db, notifications_db):
    user = rpc.users.register(new_account())

    mail = smtp_up.wait_for(user["email"], "welcome")
    assert mail.subject == f"Welcome to Aarya, {user['full_name']}!"
    assert "no-reply@aarya.local" in str(mail.message["From"])
    assert f"Welcome, {user['full_name']}!" in mail.text()
    assert f"<h1>Welcome, {user['full_name']}!</h1>" in mail.html()

    inbox = wait_for(lambda: rpc.notifications.list_notifications(user["id"]),
                     message="the welcome message in the inbox")
    assert [(n["type"], n["title"], n["is_read"]) for n in inbox] == [
        ("welcome", "Welcome to Aarya!", False)]
    assert rpc.notifications.unread_count(user["id"]) == {"user_id": user["id"], "unread": 1}

    in_app = wait_for(lambda: notification_events(redis_db, "notification.in_app",
                                                  user_id=user["id"]),
                      message="notification.in_app on notification_events")
    assert in_app[0]["data"]["notification_id"] == inbox[0]["id"]
    assert in_app[0]["data"]["title"] == "Welcome to Aarya!"
    assert in_app[0]["data"]["body"] == inbox[0]["body"]
    emailed = wait_for(lambda: notification_events(redis_db, "notification.email",
                                                   user_id=user["id"], type="welcome"),
                       message="notification.email on notification_events")
    assert emailed[0]["data"]["status"] == "sent" and emailed[0]["data"]["attempts"] == 1

    (logged,) = notifications_db.email_logs(user["id"], "welcome")
    assert (logged["status"], logged["to_address"], logged["error"]) == (
        "sent", user["email"], None)
    assert len(smtp_up.messages(user["email"], "welcome")) == 1


def test_a_shopper_who_asked_hears_when_the_variant_is_back_and_only_once(
        rpc, smtp_up, shop, redis_db, config):
    asked = registered(rpc, smtp_up)
    did_not_ask = registered(rpc, smtp_up)
    product_id, variant_id = an_id(), an_id()
    subscription = rpc.notifications.notify_when_back_in_stock(asked["id"], product_id,
                                                               variant_id)
    assert subscription["created"] is True
    assert rpc.notifications.notify_when_back_in_stock(
        asked["id"], product_id, variant_id)["id"] == subscription["id"]  # asking twice: one

    restock = {"product_id": product_id, "variant_id": variant_id, "sku": "KURTA-INDIGO-M",
               "old": 0, "new": 3, "delta": 3, "status": "back_in_stock",
               "previous_status": "out_of_stock", "low_stock_threshold": 5,
               "reason": "restock", "order_ref": None}
    envelope, _ = shop.publish("product.inventory.updated", "products", restock)
    again = shop.redeliver(envelope)  # the same event, delivered twice

    mail = smtp_up.wait_for(asked["email"], "back_in_stock")
    assert mail.subject == "Back in stock: KURTA-INDIGO-M"
    assert "only 3 left" in mail.text()
    assert f"/products/{product_id}" in mail.text()
    inbox = wait_for(lambda: [n for n in rpc.notifications.list_notifications(asked["id"])
                              if n["type"] == "back_in_stock"], message="in-app alert")
    assert inbox[0]["data"] == {"product_id": product_id, "variant_id": variant_id,
                                "url": f"{config['NOTIFICATIONS']['shop_url']}/products/"
                                       f"{product_id}"}

    shop.wait_consumed("product_events", again)
    assert len(smtp_up.messages(asked["email"], "back_in_stock")) == 1
    assert smtp_up.messages(did_not_ask["email"], "back_in_stock") == []
    assert [n["type"] for n in rpc.notifications.list_notifications(did_not_ask["id"])] == [
        "welcome"]
    assert rpc.notifications.list_back_in_stock(asked["id"]) == []  # fulfilled, closed


def test_an_order_event_delivered_twice_still_sends_one_email(
        rpc, smtp_up, shop, redis_db, notifications_db):
    user = registered(rpc, smtp_up)
    order_id = an_id()
    envelope, _ = shop.publish("order.created", "orders", {
        "order_id": order_id, "user_id": user["id"], "order_number": f"AR-{order_id}",
        "total_amount": 249900, "currency": "INR", "items": [{"sku": "A"}, {"sku": "B"}]})
    second = shop.redeliver(envelope)

    mail = smtp_up.wait_for(user["email"], "order_confirmation")
    assert mail.subject == f"Order AR-{order_id} confirmed"
    assert "(2 items) totalling ₹2,499.00" in mail.text()
    shop.wait_consumed("order_events", second)
    time.sleep(1.0)  # the retry sweep runs every second: give a duplicate every chance

    assert len(smtp_up.messages(user["email"], "order_confirmation")) == 1
    assert len(notifications_db.email_logs(user["id"], "order_confirmation")) == 1
    confirmations = [n for n in rpc.notifications.list_notifications(user["id"])
                     if n["type"] == "order_confirmation"]
    assert len(confirmations) == 1 and confirmations[0]["data"]["order_id"] == order_id


def test_while_the_mail_server_is_down_email_fails_then_is_retried_with_backoff_and_sent(
        rpc, smtp_up, config, notifications_db):
    smtp_up.stop()
    user = rpc.users.register(new_account())

    def welcome_log(predicate):
        rows = notifications_db.email_logs(user["id"], "welcome")
        return rows[0] if rows and predicate(rows[0]) else None

    first = wait_for(lambda: welcome_log(lambda r: r["status"] == "failed"),
                     message="a failed attempt logged")
    assert "Connection refused" in first["error"] or "ConnectionRefused" in first["error"]
    retried = wait_for(lambda: welcome_log(lambda r: r["attempts"] >= 3 and
                                           r["status"] == "failed"),
                       timeout=20, message="retried while the server is down")
    base = float(config["NOTIFICATIONS"]["retry_base_s"])
    delay = (retried["next_attempt_at"] - retried["last_attempt_at"]).total_seconds()
    assert delay == pytest.approx(base * 2 ** (retried["attempts"] - 1), abs=0.01), \
        "the wait doubles with every failed attempt"
    assert smtp_up.messages(user["email"]) == []

    smtp_up.start()
    mail = smtp_up.wait_for(user["email"], "welcome", timeout=30)
    assert mail.subject == f"Welcome to Aarya, {user['full_name']}!"
    sent = wait_for(lambda: welcome_log(lambda r: r["status"] == "sent"), message="sent logged")
    assert sent["attempts"] > retried["attempts"] and sent["error"] is None
    assert sent["next_attempt_at"] is None and sent["sent_at"] is not None
    time.sleep(1.5)
    assert len(smtp_up.messages(user["email"], "welcome")) == 1


def test_a_mailbox_that_does_not_exist_fails_once_and_is_not_retried(
        rpc, smtp_up, notifications_db, redis_db):
    user = rpc.users.register(new_account(tag=f"x{uuid.uuid4().hex[:8]}",
                                          email=f"bounce-{uuid.uuid4().hex[:8]}@example.com"))
    failed = wait_for(lambda: notification_events(redis_db, "notification.email",
                                                  user_id=user["id"]),
                      message="the final failure on notification_events")
    assert failed[0]["data"]["status"] == "failed"
    (logged,) = notifications_db.email_logs(user["id"], "welcome")
    assert logged["attempts"] == 1 and logged["next_attempt_at"] is None
    assert "550" in logged["error"]


def test_an_order_email_waits_for_an_address_it_does_not_know_yet(
        rpc, smtp_up, shop, notifications_db):
    user_id, order_id = an_id(), an_id()
    address = f"late-{uuid.uuid4().hex[:8]}@example.com"
    shop.publish("order.created", "orders", {"order_id": order_id, "user_id": user_id})
    waiting = wait_for(lambda: [r for r in notifications_db.email_logs(user_id)
                                if r["status"] == "failed"], message="a failed attempt")
    assert waiting[0]["error"] == f"no email address on file for user {user_id}"
    assert waiting[0]["next_attempt_at"] is not None  # still going to retry

    shop.publish("user.created", "users", {"user_id": user_id, "email": address,
                                           "username": "late", "full_name": "Late Comer",
                                           "role": "customer"})
    mail = smtp_up.wait_for(address, "order_confirmation", timeout=30)
    assert mail.subject == f"Order #{order_id} confirmed"
    smtp_up.wait_for(address, "welcome")


def test_contact_details_follow_the_newest_event_even_when_events_arrive_out_of_order(
        rpc, smtp_up, shop):
    user_id = an_id()
    old, new = (f"{tag}-{uuid.uuid4().hex[:8]}@example.com" for tag in ("old", "new"))
    # The change happened after the registration, but its event is delivered first.
    shop.publish("user.updated", "users", {
        "user_id": user_id, "changes": {"email": {"old": old, "new": new}}},
        occurred_at="2030-01-01T10:00:05.000Z")
    _, created = shop.publish("user.created", "users", {
        "user_id": user_id, "email": old, "username": "ooo", "full_name": "Out Of Order",
        "role": "customer"}, occurred_at="2030-01-01T10:00:00.000Z")
    shop.wait_consumed("user_events", created)  # both handled (in either order, or at once)

    order_id = an_id()
    shop.publish("order.created", "orders", {"order_id": order_id, "user_id": user_id})
    mail = smtp_up.wait_for(new, "order_confirmation")
    assert mail.text().startswith("Thank you, Out Of Order!")  # the older event filled a blank
    assert smtp_up.messages(old, "order_confirmation") == []


def test_a_shopper_who_opted_out_of_order_email_gets_none_but_still_sees_it_in_the_app(
        rpc, smtp_up, shop, notifications_db):
    user = registered(rpc, smtp_up)
    prefs = rpc.notifications.update_preferences(user["id"], {"email": {"orders": False}})
    assert prefs["channels"]["email"]["orders"] is False
    assert prefs["channels"]["email"]["payments"] is True
    assert prefs["channels"]["in_app"]["orders"] is True
    assert rpc.notifications.get_preferences(user["id"]) == prefs

    order_id = an_id()
    _, entry = shop.publish("order.created", "orders", {
        "order_id": order_id, "user_id": user["id"], "total_amount": 99900, "currency": "INR"})
    shop.wait_consumed("order_events", entry)
    inbox = [n for n in rpc.notifications.list_notifications(user["id"])
             if n["type"] == "order_confirmation"]
    assert inbox[0]["title"] == f"Order #{order_id} confirmed"
    (logged,) = notifications_db.email_logs(user["id"], "order_confirmation")
    assert logged["status"] == "skipped" and "opted out" in logged["error"]
    time.sleep(1.5)  # past a retry sweep: a skipped message is never picked up
    assert smtp_up.messages(user["email"], "order_confirmation") == []


def test_shipping_texts_a_known_mobile_and_a_dead_number_fails_for_good(
        rpc, smtp_up, shop, notifications_db, redis_db):
    good = registered(rpc, smtp_up)
    dead = registered(rpc, smtp_up)
    rpc.users.update_profile(good["id"], {"phone": "+91 98765 43210"})
    rpc.users.update_profile(dead["id"], {"phone": "+15005550001"})
    for user in (good, dead):  # the numbers reach the service before the orders ship
        entry = wait_for(lambda: shop.entry_of("user_events", "user.updated", user_id=user["id"]),
                         message="the phone change on user_events")
        shop.wait_consumed("user_events", entry)

    for user in (good, dead):
        order_id = an_id()
        data = {"order_id": order_id, "user_id": user["id"], "carrier": "Delhivery",
                "tracking_number": f"DL{order_id}"}
        shop.publish("order.shipped", "orders", data)
        # The status change that came with it must not notify a second time.
        _, later = shop.publish("order.status.updated", "orders", {**data, "status": "shipped"})
        shop.wait_consumed("order_events", later)

    texted = wait_for(lambda: [r for r in notifications_db.sms_logs(good["id"], "order_shipped")
                               if r["status"] == "sent"], message="the SMS sent")
    assert len(notifications_db.sms_logs(good["id"])) == 1
    assert texted[0]["to_number"] == "+919876543210" and texted[0]["provider"] == "sandbox"
    assert texted[0]["provider_message_id"].startswith("SBX")
    assert "has shipped, tracking DL" in texted[0]["body"]
    refused = wait_for(lambda: [r for r in notifications_db.sms_logs(dead["id"], "order_shipped")
                                if r["status"] == "failed"], message="the SMS refused")
    assert refused[0]["attempts"] == 1 and refused[0]["next_attempt_at"] is None
    assert refused[0]["error"] == "invalid destination number"
    sms_outcomes = wait_for(lambda: notification_events(redis_db, "notification.sms",
                                                        user_id=dead["id"]),
                            message="notification.sms")
    assert sms_outcomes[0]["data"]["status"] == "failed"
    assert "+1500" not in str(sms_outcomes[0]["data"])  # numbers never travel in events

    for user in (good, dead):
        smtp_up.wait_for(user["email"], "order_shipped")
        assert len(smtp_up.messages(user["email"], "order_shipped")) == 1
    pushed = wait_for(lambda: notification_events(redis_db, "notification.push",
                                                  user_id=good["id"]), message="push event")
    assert pushed[0]["data"]["type"] == "order_shipped"


def test_a_shopper_can_mark_only_their_own_messages_read(rpc, smtp_up, redis_db):
    me = registered(rpc, smtp_up)
    other = registered(rpc, smtp_up)
    (mine,) = wait_for(lambda: rpc.notifications.list_notifications(me["id"]), message="inbox")
    (theirs,) = wait_for(lambda: rpc.notifications.list_notifications(other["id"]),
                         message="other inbox")

    with pytest.raises(NotFound) as exc:
        rpc.notifications.mark_read(me["id"], [mine["id"], theirs["id"]])
    assert exc.value.code == "notification_not_found"
    assert exc.value.details == {"notification_ids": [theirs["id"]]}
    assert rpc.notifications.unread_count(me["id"])["unread"] == 1  # all or nothing
    assert rpc.notifications.unread_count(other["id"])["unread"] == 1

    result = rpc.notifications.mark_read(me["id"], [mine["id"]])
    assert result == {"user_id": me["id"], "marked": [mine["id"]], "unread": 0}
    assert rpc.notifications.mark_read(me["id"], [mine["id"]])["marked"] == []  # already read
    assert rpc.notifications.list_notifications(me["id"], unread_only=True) == []
    assert rpc.notifications.list_notifications(me["id"])[0]["is_read"] is True
    assert rpc.notifications.list_notifications(other["id"])[0]["is_read"] is False
    read = wait_for(lambda: notification_events(redis_db, "notification.read", user_id=me["id"]),
                    message="notification.read")
    assert read[0]["data"] == {"user_id": me["id"], "notification_ids": [mine["id"]],
                               "unread_count": 0}


def test_the_inbox_pages_newest_first(rpc, smtp_up, shop):
    user = registered(rpc, smtp_up)
    entries = [shop.publish("payment.failed", "payments", {
        "payment_id": an_id(), "order_id": an_id(), "user_id": user["id"], "amount": 1000 + n,
        "currency": "INR", "reason": "card declined"})[1] for n in range(3)]
    shop.wait_consumed("payment_events", entries[-1])
    everything = rpc.notifications.list_notifications(user["id"], limit=100)
    assert [n["type"] for n in everything] == ["payment_failed"] * 3 + ["welcome"]
    first = rpc.notifications.list_notifications(user["id"], limit=2)
    rest = rpc.notifications.list_notifications(user["id"], limit=2,
                                                before_id=first[-1]["id"])
    assert [n["id"] for n in first + rest] == [n["id"] for n in everything]


def test_bad_input_is_refused_naming_each_field(rpc, platform):
    with pytest.raises(ValidationFailed) as exc:
        rpc.notifications.list_notifications("me", limit=1000, before_id=0)
    assert set(exc.value.details["fields"]) == {"user_id", "limit", "before_id"}

    with pytest.raises(ValidationFailed) as exc:
        rpc.notifications.mark_read(1, [])
    assert set(exc.value.details["fields"]) == {"notification_ids"}

    with pytest.raises(ValidationFailed) as exc:
        rpc.notifications.update_preferences(1, {"emial": {"orders": False},
                                                 "sms": {"orders": "no", "gossip": True}})
    fields = exc.value.details["fields"]
    assert set(fields) == {"emial", "sms"} and set(fields["sms"]) == {"orders", "gossip"}

    with pytest.raises(ValidationFailed) as exc:
        rpc.notifications.update_preferences(1, {})
    assert "_schema" in exc.value.details["fields"]

    with pytest.raises(ValidationFailed) as exc:
        rpc.notifications.notify_when_back_in_stock(1, 0, None)
    assert set(exc.value.details["fields"]) == {"product_id", "variant_id"}
