"""Stories of payments that look wrong: held for a staff review with fraud.detected, then
approved (charged), rejected, or left too long (failed)."""
import random
import time

import pytest

from kit.errors import Conflict, Forbidden
from tests.payments.helpers import (STAFF, assert_error, events, new_shopper, pay, rows,
                                    wait_event, wait_status)


def flags(payments_db, payment_ids):
    return {r["payment_id"]: r for r in rows(
        payments_db, "SELECT payment_id, risk_score, reasons, decision, reviewed_by "
                     "FROM fraud_flags WHERE payment_id = ANY(:ids)", ids=list(payment_ids))}


def test_a_burst_of_payments_from_one_address_is_held_then_approved_by_staff(
        rpc, redis_db, payments_db, gateway):
    address = f"203.0.113.{random.randint(1, 254)}"

    burst = [pay(rpc, ip=address, amount=99900)[0] for _ in range(11)]

    assert [p["status"] for p in burst] == ["completed"] * 10 + ["held"]
    held = burst[-1]
    detected = wait_event(redis_db, "fraud.detected", held["payment_id"])
    assert detected["data"]["status"] == "held" and detected["data"]["risk_score"] >= 75
    assert [r["code"] for r in detected["data"]["reasons"]] == ["ip_velocity"]
    assert detected["data"]["order_ref"] == held["order_ref"]
    scored = flags(payments_db, [p["payment_id"] for p in burst])
    assert len(scored) == 11  # every payment is scored, not just the held one
    assert [scored[p["payment_id"]]["decision"] for p in burst] == ["allow"] * 10 + ["hold"]
    assert not events(redis_db, "payment.completed", held["payment_id"])

    approved = gateway.post(f"/api/payments/{held['payment_id']}/review",
                            {"decision": "approve", "note": "known office network"},
                            headers=gateway.headers(9102, "support"))

    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "completed"
    wait_event(redis_db, "payment.completed", held["payment_id"])
    flag = flags(payments_db, [held["payment_id"]])[held["payment_id"]]
    assert (flag["decision"], flag["reviewed_by"]) == ("approved", 9102)


def test_a_huge_amount_is_held_and_a_rejection_fails_it(rpc, redis_db, payments_db):
    payment, _ = pay(rpc, amount=25_000_000)
    assert payment["status"] == "held"
    reasons = wait_event(redis_db, "fraud.detected", payment["payment_id"])["data"]["reasons"]
    assert "large_amount" in [r["code"] for r in reasons]

    rejected = rpc.payments.review_payment(STAFF, payment["payment_id"], "reject")

    assert rejected["status"] == "failed" and rejected["failure_code"] == "fraud_rejected"
    assert wait_event(redis_db, "payment.failed", payment["payment_id"])["data"]["reason"] == \
        "fraud_rejected"
    assert rows(payments_db, "SELECT count(*) AS n FROM payment_attempts WHERE payment_id = :p",
                p=payment["payment_id"]) == [{"n": 0}]  # the card was never charged
    with pytest.raises(Conflict) as again:
        rpc.payments.review_payment(STAFF, payment["payment_id"], "approve")
    assert again.value.code == "payment_not_held"


def test_only_staff_review_held_payments(rpc, gateway):
    shopper = new_shopper()
    payment, _ = pay(rpc, amount=25_000_000, user_id=shopper)

    by_shopper = gateway.post(f"/api/payments/{payment['payment_id']}/review",
                              {"decision": "approve"}, headers=gateway.headers(shopper))
    with pytest.raises(Forbidden):
        rpc.payments.review_payment({"user_id": shopper, "role": "customer"},
                                    payment["payment_id"], "approve")

    assert_error(by_shopper, 403)
    assert rpc.payments.get_payment(STAFF, payment["payment_id"])["status"] == "held"
    rpc.payments.review_payment(STAFF, payment["payment_id"], "reject")


def test_a_held_payment_nobody_reviews_fails_after_the_review_deadline(rpc, redis_db,
                                                                       payments_db, config):
    deadline = float(config["PAYMENTS"]["review_deadline_s"])
    payment, _ = pay(rpc, amount=30_000_000)
    assert payment["status"] == "held"
    started = time.monotonic()

    failed = wait_status(rpc, payment["payment_id"], "failed", timeout=deadline + 20)

    assert time.monotonic() - started >= deadline - 2
    assert failed["failure_code"] == "fraud_review_timeout"
    assert failed["fraud"]["decision"] == "expired"
    assert wait_event(redis_db, "payment.failed", payment["payment_id"])["data"]["reason"] == \
        "fraud_review_timeout"
