"""The Lua steps' race windows, driven directly against the real Redis (no broker needed):
what happens when a cart moves between the moment it is read and the moment it is changed."""
import json
import secrets
import time

import pytest

from kit.envelope import make_envelope
from services.cart.carts import (NOT_SELLABLE, OUTBOX, TOUCHED, CartSettings, CartStore, Owner,
                                 now_ms)
from tests.support.harness import events_of_type, wait_for


class Envelopes:
    """Builds envelopes as the service's OutboxWriter does (no worker, so no correlation id)."""

    def envelope(self, event_type, data):
        return json.dumps(make_envelope(event_type, "cart", data))

    def now_ms(self):
        return now_ms()


@pytest.fixture
def store(redis_db, platform):
    # The platform's own cart relay publishes whatever these steps stage: real events.
    return CartStore(redis_db, CartSettings(), Envelopes())


def staged_for(redis_db, owner):
    return [json.loads(f["envelope"]) for _, f in redis_db.xrange(OUTBOX)
            if json.loads(f["envelope"])["data"]["cart_id"] == owner.cart_id]


def sellable(variant_id, stock):
    return {"variant_id": variant_id, "product_id": 1, "sku": "SKU-1", "price": 100,
            "currency": "INR", "inventory_count": stock, "sellable": True}


def test_a_merge_retries_when_the_guest_cart_changed_after_stock_was_checked(store, redis_db):
    guest = Owner(session_id=secrets.token_urlsafe(24))
    user = Owner(user_id=secrets.randbelow(10**9) + 10**6)
    store.change_line(guest, 11, "add", 1, sellable(11, 5))
    store.change_line(guest, 12, "add", 1, sellable(12, 5))  # added after the merge's read

    assert store.merge(guest, user, {11: 5}) is None  # stock for 12 unknown: retry, write nothing
    assert store.lines(guest.key)[0] == {11: 1, 12: 1}
    assert not redis_db.exists(user.key)

    report = store.merge(guest, user, {11: 5, 12: NOT_SELLABLE})
    assert report[11]["added"] == 1 and report[12]["dropped"] == "product_inactive"
    assert store.lines(user.key)[0] == {11: 1}
    assert not redis_db.exists(guest.key) and redis_db.zscore(TOUCHED, guest.key) is None


def test_a_cart_touched_after_the_abandon_scan_read_it_is_not_reported(store, redis_db):
    owner = Owner(user_id=secrets.randbelow(10**9) + 10**6)
    store.change_line(owner, 21, "add", 1, sellable(21, 5))
    seen_score = int(redis_db.zscore(TOUCHED, owner.key))
    time.sleep(0.01)
    store.change_line(owner, 21, "add", 1, sellable(21, 5))  # the shopper came back meanwhile

    assert store.report_abandoned(owner.key, seen_score, now_ms()) is False
    time.sleep(1.0)  # had it been staged, the platform's relay would have published it by now
    assert [e for e in staged_for(redis_db, owner) if e["type"] == "cart.abandoned"] == []
    assert events_of_type(redis_db, "cart_events", "cart.abandoned",
                          cart_id=owner.cart_id) == []
    assert redis_db.zscore(TOUCHED, owner.key) is not None  # its idle clock still runs

    # The scan that reads the new score does report it, once.
    fresh = int(redis_db.zscore(TOUCHED, owner.key))
    assert store.report_abandoned(owner.key, fresh, now_ms()) is True
    assert store.report_abandoned(owner.key, fresh, now_ms()) is False
    wait_for(lambda: events_of_type(redis_db, "cart_events", "cart.abandoned",
                                    cart_id=owner.cart_id), message="cart.abandoned")


def test_an_emptied_cart_leaves_no_key_and_no_idle_clock(store, redis_db):
    owner = Owner(user_id=secrets.randbelow(10**9) + 10**6)
    store.change_line(owner, 31, "add", 2, sellable(31, 5))
    assert redis_db.zscore(TOUCHED, owner.key) is not None
    assert store.change_line(owner, 31, "set", 0)[0] == "ok"
    assert not redis_db.exists(owner.key) and redis_db.zscore(TOUCHED, owner.key) is None
    assert store.change_line(owner, 31, "set", 0)[0] == "unchanged"


def test_a_cart_refuses_one_line_too_many_and_writes_nothing(redis_db, platform):
    store = CartStore(redis_db, CartSettings(max_lines=2), Envelopes())
    owner = Owner(user_id=secrets.randbelow(10**9) + 10**6)
    store.change_line(owner, 41, "add", 1, sellable(41, 5))
    store.change_line(owner, 42, "add", 1, sellable(42, 5))
    before = redis_db.hgetall(owner.key)

    assert store.change_line(owner, 43, "add", 1, sellable(43, 5))[0] == "too_many_lines"
    assert store.change_line(owner, 42, "add", 1, sellable(42, 5))[0] == "ok"  # a held line grows
    assert {k: v for k, v in redis_db.hgetall(owner.key).items() if k != "_updated_at"} == \
        {k: v for k, v in {**before, "42": "2"}.items() if k != "_updated_at"}
