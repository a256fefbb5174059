"""Promotion stories: staff make them through the gateway, the notifications service's clock
takes them live and ends them, and each start and end is announced exactly once on
notification_events (what /sse/promotions relays), even with two replicas of the service
ticking at the same time.
"""
import socket
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest
import requests

from kit.errors import Forbidden
from ops.platformctl import Platform
from tests.notifications.helpers import People, notification_events, ok, refused
from tests.support import harness
from tests.support.harness import wait_for

SHOPPER = {"user_id": 4242, "role": "customer"}


@pytest.fixture(scope="module")
def people(gateway_url, config):
    return People(gateway_url, config)


@pytest.fixture(scope="module")
def merchandiser(people):
    return people.agent(role="admin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rpc_consumers(config, service):
    vhost = urllib.parse.urlsplit(config["AMQP_URI"]).path.lstrip("/")
    queue = requests.get(f"http://127.0.0.1:15672/api/queues/{urllib.parse.quote(vhost, safe='')}"
                         f"/rpc-{service}", auth=("guest", "guest"), timeout=10).json()
    return queue.get("consumers", 0)


@pytest.fixture
def second_replica(platform, config):
    """A second notifications process beside the platform's, as ops scale it out: the same
    vhost, database and queues, its own side door. platformctl keeps one pidfile per name in
    its run dir, so this copy gets a run dir of its own."""
    replica = Platform(env=harness.TEST_ENV)
    replica.run_dir = platform.run_dir / "notifications-replica"
    replica.log_dir = replica.run_dir / "log"
    replica.log_dir.mkdir(parents=True, exist_ok=True)
    replica.start("notifications", extra_env={"WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}"})
    try:
        replica.wait_healthy("notifications", timeout=90)
        wait_for(lambda: rpc_consumers(config, "notifications") == 2, timeout=30,
                 message="both replicas consuming rpc-notifications")
        yield replica
    finally:
        replica.stop("notifications")


def at(seconds):
    """An ISO time `seconds` from now (UTC)."""
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat()


def promotion(title="Festive week", starts_in=-60, lasts=3600, **fields):
    return {"title": title, "description": "Ethnic wear, this week only.",
            "discount_percent": 20, "starts_at": at(starts_in),
            "ends_at": at(starts_in + lasts), **fields}


def moment(iso_text):
    return datetime.fromisoformat(iso_text.replace("Z", "+00:00"))


def announced(redis_db, event_type, promotion_id):
    return notification_events(redis_db, event_type, id=promotion_id)


def live_ids(person):
    return [p["id"] for p in ok(person.get("/api/promotions"))["items"]]


def test_a_promotion_goes_live_and_ends_by_the_clock_announced_once_across_two_replicas(
        people, merchandiser, redis_db, second_replica):
    shopper = people.visitor()
    made = ok(merchandiser.post("/api/promotions", promotion(
        "Two-second flash sale", starts_in=2, lasts=2, code="flash2")), 201)
    assert (made["status"], made["code"], made["discount_percent"]) == ("scheduled", "FLASH2", 20)
    assert made["id"] not in live_ids(shopper)

    started = wait_for(lambda: announced(redis_db, "promotion.started", made["id"]), timeout=15,
                       message="promotion.started")
    assert moment(started[0]["occurred_at"]) >= moment(made["starts_at"])
    assert started[0]["data"]["status"] == "live"
    assert {k: v for k, v in started[0]["data"].items() if k != "status"} == {
        k: v for k, v in made.items() if k != "status"}
    assert made["id"] in live_ids(shopper)

    ended = wait_for(lambda: announced(redis_db, "promotion.ended", made["id"]), timeout=15,
                     message="promotion.ended")
    assert ended[0]["data"]["status"] == "ended" and ended[0]["data"]["ended_at"] is None
    assert made["id"] not in live_ids(shopper)
    time.sleep(3)  # three more ticks of both replicas' clocks: a duplicate would show by now
    assert len(announced(redis_db, "promotion.started", made["id"])) == 1
    assert len(announced(redis_db, "promotion.ended", made["id"])) == 1
    in_stream_order = [e["type"] for _, e in harness.stream_events(redis_db, "notification_events")
                       if e["type"].startswith("promotion.") and e["data"]["id"] == made["id"]]
    assert in_stream_order == ["promotion.started", "promotion.ended"]
    assert second_replica.alive("notifications")


def test_a_promotion_already_under_way_is_live_at_once_and_staff_change_and_end_it(
        people, merchandiser, redis_db):
    made = ok(merchandiser.post("/api/promotions", promotion(
        "Winter warmers", discount_percent=None, discount_amount=50000, currency="INR",
        category="men-topwear-t-shirts")), 201)
    assert (made["status"], made["discount_amount"], made["currency"]) == ("live", 50000, "INR")
    assert made["id"] in live_ids(people.visitor())
    wait_for(lambda: announced(redis_db, "promotion.started", made["id"]),
             message="promotion.started at creation")

    changed = ok(merchandiser.patch(f"/api/promotions/{made['id']}",
                                    {"title": "Winter warmers, extended", "ends_at": at(7200)}))
    assert changed["title"] == "Winter warmers, extended" and changed["status"] == "live"
    updated = wait_for(lambda: announced(redis_db, "promotion.updated", made["id"]),
                       message="promotion.updated")
    assert updated[0]["data"]["title"] == "Winter warmers, extended"
    refused(merchandiser.patch(f"/api/promotions/{made['id']}", {"starts_at": at(600)}), 422,
            "validation_failed", field="starts_at")  # a live promotion's start cannot move

    over = ok(merchandiser.post(f"/api/promotions/{made['id']}/end"))
    assert over["status"] == "ended" and over["ended_at"] is not None
    assert ok(merchandiser.post(f"/api/promotions/{made['id']}/end")) == over
    refused(merchandiser.patch(f"/api/promotions/{made['id']}", {"title": "Too late"}), 409,
            "promotion_ended")
    assert made["id"] not in live_ids(people.visitor())
    ended = wait_for(lambda: announced(redis_db, "promotion.ended", made["id"]),
                     message="promotion.ended")
    time.sleep(1.5)
    assert len(announced(redis_db, "promotion.started", made["id"])) == 1
    assert len(announced(redis_db, "promotion.updated", made["id"])) == 1
    assert len(announced(redis_db, "promotion.ended", made["id"])) == 1
    assert ended[0]["data"]["title"] == "Winter warmers, extended"


def test_a_scheduled_promotion_called_off_never_starts(merchandiser, redis_db):
    made = ok(merchandiser.post("/api/promotions", promotion("Next month", starts_in=3600)), 201)
    moved = ok(merchandiser.patch(f"/api/promotions/{made['id']}", {"starts_at": at(1800)}))
    assert moved["status"] == "scheduled"
    scheduled = ok(merchandiser.get("/api/promotions", status="scheduled"))["items"]
    assert made["id"] in [p["id"] for p in scheduled]

    off = ok(merchandiser.post(f"/api/promotions/{made['id']}/end"))
    assert off["status"] == "ended"
    wait_for(lambda: announced(redis_db, "promotion.ended", made["id"]),
             message="promotion.ended for the called-off promotion")
    time.sleep(1.5)
    assert announced(redis_db, "promotion.started", made["id"]) == []
    assert announced(redis_db, "promotion.updated", made["id"]) == []  # it was never live
    ended = ok(merchandiser.get("/api/promotions", status="ended"))["items"]
    assert made["id"] in [p["id"] for p in ended]


def test_a_customer_cannot_make_or_change_promotions(people, merchandiser, rpc):
    shopper = people.shopper()
    refused(shopper.post("/api/promotions", promotion()), 403, "forbidden")
    refused(people.visitor().post("/api/promotions", promotion()), 401)
    made = ok(merchandiser.post("/api/promotions", promotion("Staff only")), 201)
    refused(shopper.patch(f"/api/promotions/{made['id']}", {"title": "Mine now"}), 403)
    refused(shopper.post(f"/api/promotions/{made['id']}/end"), 403)
    refused(shopper.get("/api/promotions", status="all"), 403)

    # The service holds the line itself too, whoever calls it.
    for call in (lambda: rpc.notifications.create_promotion(SHOPPER, promotion()),
                 lambda: rpc.notifications.end_promotion(SHOPPER, made["id"]),
                 lambda: rpc.notifications.list_promotions(None)):
        with pytest.raises(Forbidden) as exc:
            call()
        assert exc.value.code == "staff_only"
    assert made["id"] in live_ids(shopper)  # still live, unchanged


def test_an_end_before_the_start_is_a_422_naming_ends_at(merchandiser, people):
    error = refused(merchandiser.post("/api/promotions", {
        "title": "Backwards", "discount_percent": 10, "starts_at": at(3600),
        "ends_at": at(60)}), 422, "validation_failed")
    assert error["details"]["fields"] == {"ends_at": ["Must be after starts_at."]}

    error = refused(merchandiser.post("/api/promotions", {
        "title": " ", "discount_percent": 95, "discount_amount": 100, "starts_at": "soon",
        "ends_at": at(60), "product_ids": [0], "colour": "red"}), 422)
    assert set(error["details"]["fields"]) == {"title", "discount_percent", "starts_at",
                                               "product_ids", "colour"}
    for body, fields in (
            (promotion(discount_percent=None), {"discount_percent", "discount_amount"}),
            (promotion(discount_percent=None, discount_amount=500), {"currency"}),
            (promotion(currency="INR"), {"currency"}),
            (promotion(product_ids=[1, 2], category="women"), {"category"}),
            (promotion(starts_in=-7200, lasts=3600), {"ends_at"})):  # already over
        error = refused(merchandiser.post("/api/promotions", body), 422, "validation_failed")
        assert set(error["details"]["fields"]) == fields, body
    refused(merchandiser.patch("/api/promotions/99999999999", {"title": "Ghost"}), 404,
            "promotion_not_found")


def test_a_code_belongs_to_one_running_promotion(merchandiser):
    ok(merchandiser.post("/api/promotions", promotion(code="diwali-2026")), 201)
    error = refused(merchandiser.post("/api/promotions", promotion(code="DIWALI-2026")), 409,
                    "promotion_code_taken")
    assert error["details"] == {"code": "DIWALI-2026"}
