"""Stories of the storefront's client events: a batch counts once per event id, a bad or
oversized batch writes nothing, and a sender that floods is slowed down."""
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa

from tests.orders.helpers import new_client_ip, session_from


def event(kind="page_view", **extra):
    return {"id": str(uuid.uuid4()), "type": kind, "path": "/p/indigo-kurta",
            "occurred_at": datetime.now(timezone.utc).isoformat(), **extra}


def counts(analytics_db):
    with analytics_db.connect() as conn:
        return conn.execute(sa.text(
            "SELECT (SELECT count(*) FROM page_views), (SELECT count(*) FROM user_events), "
            "(SELECT count(*) FROM processed_events)")).one()


def test_a_batch_counts_once_and_a_bad_one_writes_nothing(shop, analytics_db, config):
    http = session_from(new_client_ip())
    url = f"{shop}/api/analytics/events"
    batch = {"session_id": f"s-{uuid.uuid4().hex}",
             "events": [event(product_id=7), event("click", data={"target": "size-M"}),
                        event()]}
    before = counts(analytics_db)

    first = http.post(url, json=batch, timeout=10)
    assert (first.status_code, first.json()) == (202, {"accepted": 3, "duplicates": 0})
    again = http.post(url, json=batch, timeout=10)
    assert (again.status_code, again.json()) == (202, {"accepted": 0, "duplicates": 3})
    after = counts(analytics_db)
    assert tuple(a - b for a, b in zip(after, before)) == (2, 1, 3)

    bad_batches = {
        "validation_failed": {**batch, "events": [event(), {**event(), "type": "teleport"}]},
        "batch_too_large": {**batch, "events": [event() for _ in range(51)]},
    }
    for code, body in bad_batches.items():
        response = http.post(url, json=body, timeout=10)
        assert (response.status_code, response.json()["error"]["code"]) == (422, code)
    no_session = http.post(url, json={"events": [event()]}, timeout=10)
    assert no_session.status_code == 422
    not_json = http.post(url, data="{nope", headers={"Content-Type": "application/json"},
                         timeout=10)
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "malformed_json")
    huge = http.post(url, data="x" * (70 * 1024), headers={"Content-Type": "application/json"},
                     timeout=10)
    assert (huge.status_code, huge.json()["error"]["code"]) == (413, "payload_too_large")
    assert counts(analytics_db) == after


def test_a_flooding_session_is_rate_limited(shop, config):
    http = session_from(new_client_ip())
    limit = int(config["ANALYTICS"]["events_per_minute"])
    session_id = f"s-{uuid.uuid4().hex}"
    accepted, refused = 0, None
    for _ in range(2 * limit // 50 + 2):  # the minute may turn once while we send
        response = http.post(f"{shop}/api/analytics/events", timeout=10, json={
            "session_id": session_id, "events": [event() for _ in range(50)]})
        if response.status_code != 202:
            refused = response
            break
        accepted += 50
    assert refused is not None and refused.status_code == 429, "never slowed down"
    assert refused.json()["error"]["code"] == "rate_limited"
    assert limit <= accepted + 50 and accepted <= 2 * limit
    other = session_from(new_client_ip()).post(f"{shop}/api/analytics/events", timeout=10, json={
        "session_id": f"s-{uuid.uuid4().hex}", "events": [event()]})
    assert other.status_code == 202  # per session and address: another shopper carries on
