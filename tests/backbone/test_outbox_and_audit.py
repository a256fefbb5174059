"""Stories of the backbone: a registration becomes exactly one event, everywhere, even after a crash."""
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from kit.errors import ValidationFailed
from tests.support.harness import events_of_type, wait_for


def new_account(tag=None):
    tag = tag or uuid.uuid4().hex[:10]
    return {"email": f"shopper-{tag}@example.com", "username": f"shopper_{tag}",
            "password": "correct horse battery", "full_name": f"Shopper {tag}"}


def audit_rows(rpc, **filters):
    return rpc.audit.query(**filters, limit=1000)


def test_register_through_gateway_gives_exactly_one_user_created_in_stream_and_audit(
        gateway_url, rpc, redis_db):
    correlation_id = f"req-test-{uuid.uuid4().hex}"
    response = requests.post(f"{gateway_url}/api/auth/register", json=new_account(),
                             headers={"X-Correlation-ID": correlation_id}, timeout=10)
    assert response.status_code == 201, response.text
    user_id = response.json()["id"]

    created = wait_for(lambda: events_of_type(redis_db, "user_events", "user.created",
                                              user_id=user_id), message="user.created in stream")
    audited = wait_for(lambda: audit_rows(rpc, type="user.created", correlation_id=correlation_id),
                       message="user.created in audit")
    time.sleep(1.0)  # give a duplicate every chance to show up before counting
    created = events_of_type(redis_db, "user_events", "user.created", user_id=user_id)
    audited = audit_rows(rpc, type="user.created", correlation_id=correlation_id)
    assert len(created) == 1
    assert created[0]["correlation_id"] == correlation_id
    assert created[0]["source"] == "users" and created[0]["version"] == 1
    assert [row["event_id"] for row in audited] == [created[0]["id"]]
    assert audited[0]["data"]["user_id"] == user_id


def test_users_process_killed_after_commit_before_publish_still_delivers_once(
        platform, config, rpc, redis_db):
    # The relay is held, so the commit happens and the publish does not: the crash window.
    platform.kill("users")
    platform.start("users", extra_env={"OUTBOX_RELAY_PAUSED": "true"})
    platform.wait_healthy("users")
    user = rpc.users.register(new_account())

    engine = sa.create_engine(config["DB_URIS"]["users"])
    with engine.connect() as conn:
        published = conn.execute(sa.text(
            "SELECT published_at FROM outbox WHERE event_type = 'user.created' "
            "AND (envelope->'data'->>'user_id')::bigint = :id"), {"id": user["id"]}).all()
    engine.dispose()
    assert len(published) == 1 and published[0][0] is None, "committed but not yet published"
    time.sleep(1.5)  # longer than the relay's poll interval: still nothing may have gone out
    assert events_of_type(redis_db, "user_events", "user.created", user_id=user["id"]) == []

    platform.kill("users")  # SIGKILL: no chance to flush anything
    platform.start("users")
    platform.wait_healthy("users")

    wait_for(lambda: events_of_type(redis_db, "user_events", "user.created", user_id=user["id"]),
             message="user.created after restart")
    time.sleep(1.0)
    assert len(events_of_type(redis_db, "user_events", "user.created", user_id=user["id"])) == 1
    event_id = events_of_type(redis_db, "user_events", "user.created", user_id=user["id"])[0]["id"]
    wait_for(lambda: rpc.audit.get_event(event_id), message="event in audit")


def test_audit_query_filters_by_type_source_time_and_correlation(rpc, redis_db):
    user = rpc.users.register(new_account())
    wait_for(lambda: events_of_type(redis_db, "user_events", "user.activity", user_id=user["id"]),
             message="activity event")
    event = events_of_type(redis_db, "user_events", "user.created", user_id=user["id"])[0]
    wait_for(lambda: rpc.audit.get_event(event["id"]), message="audited")

    by_type = rpc.audit.query(type="user.created", since=event["occurred_at"])
    assert event["id"] in [r["event_id"] for r in by_type]
    assert all(r["type"] == "user.created" for r in by_type)
    by_source = rpc.audit.query(source="users", since=event["occurred_at"])
    assert {r["source"] for r in by_source} == {"users"}
    assert event["id"] not in [r["event_id"] for r in rpc.audit.query(
        type="user.created", until=event["occurred_at"], limit=1000)]
    with pytest.raises(ValidationFailed) as exc:
        rpc.audit.query(source="nowhere", limit=0)
    assert set(exc.value.details["fields"]) == {"source", "limit"}
