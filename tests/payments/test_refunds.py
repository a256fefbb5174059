"""Stories of giving money back: full or partial refunds, never more than was captured, one
refund per Idempotency-Key, and only staff (or the orders service) may ask."""
import threading
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from kit.errors import Conflict, Forbidden
from tests.payments.helpers import (SLOW, STAFF, SYSTEM, assert_error, events, new_shopper, pay,
                                    rows, wait_event)
from tests.support.harness import wait_for


def key():
    return f"refund-{uuid.uuid4().hex}"


def refunds_of(payments_db, payment_id):
    return rows(payments_db, "SELECT amount, status, idempotency_key FROM refunds "
                             "WHERE payment_id = :p ORDER BY created_at", p=payment_id)


def test_partial_refunds_add_up_and_stop_at_the_captured_amount(rpc, redis_db):
    payment, _ = pay(rpc, amount=100000)
    pid = payment["payment_id"]

    first = rpc.payments.refund(STAFF, pid, amount=30000, reason="one sleeve torn",
                                idempotency_key=key())
    second = rpc.payments.refund(STAFF, pid, amount=50000, reason="late delivery",
                                 idempotency_key=key())
    with pytest.raises(Conflict) as too_much:
        rpc.payments.refund(STAFF, pid, amount=30000, reason="again", idempotency_key=key())
    rest = rpc.payments.refund(STAFF, pid, reason="returned", idempotency_key=key())
    with pytest.raises(Conflict) as nothing_left:
        rpc.payments.refund(STAFF, pid, amount=1, reason="one more", idempotency_key=key())

    assert [r["status"] for r in (first, second, rest)] == ["processed"] * 3
    assert rest["amount"] == 20000  # no amount: whatever is left
    assert too_much.value.code == nothing_left.value.code == "refund_exceeds_captured"
    assert too_much.value.details["refundable_amount"] == 20000
    after = rpc.payments.get_payment(STAFF, pid)
    assert (after["captured_amount"], after["refunded_amount"], after["refundable_amount"]) == (
        100000, 100000, 0)
    assert after["status"] == "completed"
    wait_for(lambda: len(events(redis_db, "refund.processed", pid)) == 3)
    assert sorted(e["data"]["amount"] for e in events(redis_db, "refund.processed", pid)) == [
        20000, 30000, 50000]
    assert max(e["data"]["refunded_total"] for e in events(redis_db, "refund.processed",
                                                              pid)) == 100000


def test_the_same_refund_key_twice_is_one_refund(rpc, payments_db, redis_db):
    payment, _ = pay(rpc, amount=80000)
    pid, same = payment["payment_id"], key()

    first = rpc.payments.refund(STAFF, pid, amount=25000, reason="size swap",
                                idempotency_key=same)
    again = rpc.payments.refund(STAFF, pid, amount=25000, reason="size swap",
                                idempotency_key=same)

    assert again["refund_id"] == first["refund_id"] and again["replayed"]
    assert not first["replayed"]
    assert refunds_of(payments_db, pid) == [{"amount": 25000, "status": "processed",
                                             "idempotency_key": same}]
    assert rpc.payments.get_payment(STAFF, pid)["refunded_amount"] == 25000
    assert len(rows(payments_db, "SELECT 1 FROM payment_attempts WHERE payment_id = :p AND "
                                 "kind = 'refund'", p=pid)) == 1
    wait_event(redis_db, "refund.processed", pid)
    with pytest.raises(Conflict) as reused:
        rpc.payments.refund(STAFF, pid, amount=100, idempotency_key=same)
    assert reused.value.code == "idempotency_key_reused"


def test_refunds_racing_on_one_payment_never_exceed_what_was_captured(config, rpc,
                                                                     payments_db):
    payment, _ = pay(rpc, amount=100000)
    pid = payment["payment_id"]
    outcomes = [None] * 8
    proxies = [ClusterRpcProxy(config, timeout=60) for _ in outcomes]
    clients = [p.start() for p in proxies]
    gate = threading.Barrier(len(outcomes))

    def ask(n):
        gate.wait()
        try:
            outcomes[n] = clients[n].payments.refund(STAFF, pid, amount=30000,
                                                     idempotency_key=key())
        except Conflict as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(outcomes))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for p in proxies:
            p.stop()

    done = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(done) == 3 and len(refused) == 5, outcomes
    assert {o.code for o in refused} == {"refund_exceeds_captured"}
    assert sum(r["amount"] for r in refunds_of(payments_db, pid)) == 90000


def test_only_staff_and_the_system_may_refund_and_never_an_unpaid_payment(rpc):
    shopper = new_shopper()
    payment, _ = pay(rpc, amount=50000, user_id=shopper)
    pid = payment["payment_id"]

    with pytest.raises(Forbidden):
        rpc.payments.refund({"user_id": shopper, "role": "customer"}, pid, amount=100,
                            idempotency_key=key())
    with pytest.raises(Forbidden):
        rpc.payments.refund({"user_id": shopper + 1, "role": "customer"}, pid,
                            idempotency_key=key())
    # The orders service, cancelling a paid order, asks for all of it.
    cancel = rpc.payments.refund(SYSTEM, pid, reason="cancelled_by_customer",
                                 idempotency_key=f"cancel:{payment['order_ref']}")
    assert cancel["status"] == "processed" and cancel["amount"] == 50000

    pending, _ = pay(rpc, SLOW)
    with pytest.raises(Conflict) as unpaid:
        rpc.payments.refund(STAFF, pending["payment_id"], idempotency_key=key())
    assert unpaid.value.code == "payment_not_captured"


def test_staff_refund_through_the_gateway_with_an_idempotency_key(rpc, gateway):
    shopper = new_shopper()
    payment, _ = pay(rpc, amount=60000, user_id=shopper)
    path = f"/api/payments/{payment['payment_id']}/refunds"
    staff = gateway.headers(9101, "support")
    same = key()

    created = gateway.post(path, {"amount": 20000, "reason": "damaged"},
                           headers={**staff, "Idempotency-Key": same})
    replayed = gateway.post(path, {"amount": 20000, "reason": "damaged"},
                            headers={**staff, "Idempotency-Key": same})
    too_much = gateway.post(path, {"amount": 40001},
                            headers={**staff, "Idempotency-Key": key()})
    no_key = gateway.post(path, {"amount": 100}, headers=staff)
    by_shopper = gateway.post(path, {"amount": 100},
                              headers={**gateway.headers(shopper), "Idempotency-Key": key()})

    assert created.status_code == 201, created.text
    assert replayed.status_code == 200 and replayed.json()["replayed"] is True
    assert replayed.json()["refund_id"] == created.json()["refund_id"]
    assert_error(too_much, 409, "refund_exceeds_captured")
    assert_error(no_key, 400, "idempotency_key_required")
    assert_error(by_shopper, 403)
    mine = gateway.get(f"/api/payments/{payment['payment_id']}", gateway.headers(shopper))
    assert mine.status_code == 200
    assert mine.json()["refunded_amount"] == 20000
    assert [r["amount"] for r in mine.json()["refunds"]] == [20000]
    assert "attempts" not in mine.json()  # provider internals are for staff
