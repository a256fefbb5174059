"""Stories of paying for an order with each of the sandbox's cards, as the orders service
asks (docs/checkout-saga.md step 2)."""
import pytest

from kit.errors import Conflict, ValidationFailed
from tests.payments.helpers import (DECLINED, NO_FUNDS, SLOW, SUCCESS, attempts, events, pay,
                                    payment_row, wait_event, wait_status)


def test_a_good_card_is_charged_and_payment_completed_reaches_the_stream(rpc, redis_db,
                                                                        payments_db):
    payment, request = pay(rpc, SUCCESS, amount=249900)

    assert payment["status"] == "completed"
    assert payment["order_ref"] == request["order_ref"]
    assert payment["failure_code"] is None and payment["next_action"] is None
    assert (payment["amount"], payment["captured_amount"]) == (249900, 249900)
    assert payment["method"]["brand"] == "visa" and payment["method"]["last4"] == "4242"

    completed = wait_event(redis_db, "payment.completed", payment["payment_id"])
    assert completed["source"] == "payments"
    assert {k: completed["data"][k] for k in ("order_id", "order_ref", "user_id", "amount",
                                             "currency", "status")} == {
        "order_id": request["order_id"], "order_ref": request["order_ref"],
        "user_id": request["user_id"], "amount": 249900, "currency": "INR",
        "status": "completed"}
    assert wait_event(redis_db, "payment.initiated", payment["payment_id"])
    assert [(a["kind"], a["status"]) for a in attempts(payments_db, payment["payment_id"])] == [
        ("authorize", "succeeded"), ("capture", "succeeded")]
    assert all(a["latency_ms"] is not None for a in attempts(payments_db,
                                                              payment["payment_id"]))


@pytest.mark.parametrize("number, reason", [(DECLINED, "card_declined"),
                                            (NO_FUNDS, "insufficient_funds")])
def test_a_refused_card_fails_the_payment_with_the_banks_reason(rpc, redis_db, payments_db,
                                                                number, reason):
    payment, _ = pay(rpc, number)

    assert payment["status"] == "failed" and payment["failure_code"] == reason
    failed = wait_event(redis_db, "payment.failed", payment["payment_id"])
    assert failed["data"]["reason"] == reason and failed["data"]["status"] == "failed"
    assert not events(redis_db, "payment.completed", payment["payment_id"])
    assert [(a["kind"], a["status"], a["error"]) for a in
            attempts(payments_db, payment["payment_id"])] == [("authorize", "declined", reason)]


def test_a_slow_provider_leaves_the_payment_pending_then_retries_then_fails(
        rpc, redis_db, payments_db, config):
    retries = int(config["PAYMENTS"]["max_provider_retries"])

    payment, _ = pay(rpc, SLOW)

    assert payment["status"] == "pending"  # the provider did not answer within the timeout
    assert [(a["kind"], a["status"]) for a in attempts(payments_db, payment["payment_id"])] == [
        ("authorize", "timeout")]
    failed = wait_status(rpc, payment["payment_id"], "failed", timeout=30)
    assert failed["failure_code"] == "provider_timeout"
    tried = attempts(payments_db, payment["payment_id"])
    assert [(a["kind"], a["status"]) for a in tried] == [("authorize", "timeout")] * (1 + retries)
    timeout_ms = float(config["PAYMENTS"]["provider_timeout_s"]) * 1000
    assert all(timeout_ms <= a["latency_ms"] < timeout_ms + 1500 for a in tried), tried
    assert wait_event(redis_db, "payment.failed", payment["payment_id"])["data"]["reason"] == \
        "provider_timeout"


def test_initiating_again_for_the_same_order_returns_the_same_payment(rpc, payments_db):
    first, request = pay(rpc, SUCCESS)

    again = rpc.payments.initiate_payment(**request)

    assert again["payment_id"] == first["payment_id"] and again["status"] == "completed"
    assert len(attempts(payments_db, first["payment_id"])) == 2  # charged once
    with pytest.raises(Conflict) as refused:
        rpc.payments.initiate_payment(**{**request, "amount": request["amount"] + 1})
    assert refused.value.code == "order_ref_reused"


def test_a_card_number_that_fails_the_luhn_check_is_refused_before_any_payment(rpc,
                                                                             payments_db):
    with pytest.raises(ValidationFailed) as refused:
        pay(rpc, "4242 4242 4242 4241")
    assert refused.value.code == "card_invalid"
    assert refused.value.details["fields"] == {
        "payment_method": {"card": {"number": ["Not a valid card number."]}}}


def test_the_contract_fields_are_checked_strictly(rpc):
    with pytest.raises(ValidationFailed) as refused:
        pay(rpc, SUCCESS, amount=10.5)
    assert "amount" in refused.value.details["fields"]
    with pytest.raises(ValidationFailed) as refused:
        pay(rpc, SUCCESS, currency="XYZ")
    assert "currency" in refused.value.details["fields"]


def test_cancelling_an_unpaid_payment_is_idempotent_and_a_paid_one_is_refused(
        rpc, redis_db, payments_db):
    slow, slow_request = pay(rpc, SLOW)
    cancelled = rpc.payments.cancel_payment(slow_request["order_ref"])
    assert cancelled["status"] == "cancelled"
    assert rpc.payments.cancel_payment(slow_request["order_ref"])["status"] == "cancelled"
    assert wait_event(redis_db, "payment.cancelled", slow["payment_id"])
    assert payment_row(payments_db, slow["payment_id"])["status"] == "cancelled"

    paid, paid_request = pay(rpc, SUCCESS)
    with pytest.raises(Conflict) as refused:
        rpc.payments.cancel_payment(paid_request["order_ref"])
    assert refused.value.code == "payment_captured"
    assert rpc.payments.get_payment_by_order(paid_request["order_ref"])["status"] == "completed"
