"""Stories of the challenge card: the bank asks the shopper to confirm, and the provider tells
us how it went by a signed webhook POSTed to the gateway — which must refuse forgeries and
replays without changing anything."""
import time
import uuid

from services.payments import signatures
from tests.payments.helpers import (CHALLENGE, SLOW, assert_error, events, pay, payment_row,
                                    provider_ref, rows, sandbox_webhook, wait_event,
                                    wait_status, webhook_body)
from tests.support.harness import wait_for

WEBHOOK = "/api/payments/webhook"


def processed(payments_db, event_id):
    return rows(payments_db, "SELECT * FROM processed_webhooks WHERE event_id = :e", e=event_id)


def signed(secret, body, timestamp=None):
    return {signatures.HEADER: signatures.sign(secret, body, timestamp),
            "Content-Type": "application/json"}


def test_a_challenge_waits_for_the_shopper_then_a_signed_webhook_completes_it(
        rpc, redis_db, payments_db):
    payment, _ = pay(rpc, CHALLENGE)

    assert payment["status"] == "requires_action"
    assert payment["next_action"]["type"] == "three_d_secure"
    assert not events(redis_db, "payment.completed", payment["payment_id"])

    done = wait_status(rpc, payment["payment_id"], "completed")
    assert done["next_action"] is None and done["captured_amount"] == payment["amount"]
    event_id, sent = sandbox_webhook(redis_db, provider_ref(payments_db, payment["payment_id"]))
    assert sent["status"] == "delivered" and sent["last_response"] == "HTTP 200"
    assert processed(payments_db, event_id)[0]["payment_id"] == payment["payment_id"]
    wait_event(redis_db, "payment.completed", payment["payment_id"])
    time.sleep(1)  # anything extra would show by now
    assert len(events(redis_db, "payment.completed", payment["payment_id"])) == 1
    assert [(a["kind"], a["status"]) for a in done["attempts"]] == [
        ("authorize", "requires_action"), ("capture", "succeeded")]


def test_a_failed_challenge_fails_the_payment(rpc, redis_db):
    payment, _ = pay(rpc, CHALLENGE, cvc="000")
    assert payment["status"] == "requires_action"

    failed = wait_status(rpc, payment["payment_id"], "failed")

    assert failed["failure_code"] == "authentication_failed"
    assert wait_event(redis_db, "payment.failed", payment["payment_id"])["data"]["reason"] == \
        "authentication_failed"


def test_a_webhook_with_a_bad_signature_is_401_and_changes_nothing(
        rpc, gateway, payments_db, redis_db, webhook_secret):
    payment, _ = pay(rpc, CHALLENGE)
    ref = provider_ref(payments_db, payment["payment_id"])
    forged_id = f"evt_forged_{uuid.uuid4().hex}"
    body = webhook_body(forged_id, "authorization.succeeded", ref)

    wrong_secret = gateway.post(WEBHOOK, data=body, headers=signed("not-the-secret", body))
    unsigned = gateway.post(WEBHOOK, data=body, headers={"Content-Type": "application/json"})
    tampered = gateway.post(WEBHOOK, data=body.replace("succeeded", "failed"),
                            headers=signed(webhook_secret, body))

    for response in (wrong_secret, unsigned, tampered):
        assert_error(response, 401, "bad_signature")
    assert payment_row(payments_db, payment["payment_id"])["status"] == "requires_action"
    assert not processed(payments_db, forged_id)
    # The real one, from the provider, still goes through.
    wait_status(rpc, payment["payment_id"], "completed")


def test_the_same_webhook_replayed_is_409_and_changes_nothing(rpc, gateway, payments_db,
                                                              redis_db):
    payment, _ = pay(rpc, CHALLENGE)
    wait_status(rpc, payment["payment_id"], "completed")
    event_id, sent = sandbox_webhook(redis_db, provider_ref(payments_db, payment["payment_id"]))
    wait_event(redis_db, "payment.completed", payment["payment_id"])
    before = payment_row(payments_db, payment["payment_id"])

    # Exactly what the provider sent, byte for byte, signature and all.
    replay = gateway.post(WEBHOOK, data=sent["body"],
                          headers={signatures.HEADER: sent["signature"],
                                   "Content-Type": "application/json"})

    assert_error(replay, 409, "webhook_replayed")
    assert payment_row(payments_db, payment["payment_id"]) == before
    assert len(processed(payments_db, event_id)) == 1
    time.sleep(1)
    assert len(events(redis_db, "payment.completed", payment["payment_id"])) == 1


def test_a_correctly_signed_but_old_webhook_is_a_replay(rpc, gateway, payments_db,
                                                       webhook_secret):
    payment, _ = pay(rpc, CHALLENGE)
    ref = provider_ref(payments_db, payment["payment_id"])
    old_id = f"evt_old_{uuid.uuid4().hex}"
    body = webhook_body(old_id, "authorization.failed", ref, failure_code="card_declined")

    stale = gateway.post(WEBHOOK, data=body,
                         headers=signed(webhook_secret, body, time.time() - 600))

    assert_error(stale, 409, "webhook_replayed")
    assert payment_row(payments_db, payment["payment_id"])["status"] == "requires_action"
    assert not processed(payments_db, old_id)
    assert wait_status(rpc, payment["payment_id"], "completed")  # the genuine one wins


def test_a_signed_webhook_about_no_payment_of_ours_is_acknowledged(gateway, payments_db,
                                                                  webhook_secret):
    event_id = f"evt_stray_{uuid.uuid4().hex}"
    body = webhook_body(event_id, "authorization.succeeded", f"ch_{uuid.uuid4().hex}")

    response = gateway.post(WEBHOOK, data=body, headers=signed(webhook_secret, body))

    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "event_id": event_id, "payment_id": None,
                               "status": None, "applied": False}
    assert wait_for(lambda: processed(payments_db, event_id))


def test_the_providers_word_settles_a_payment_whose_authorise_timed_out_on_our_side(
        rpc, gateway, redis_db, webhook_secret):
    """Our call timed out, but the provider got it and says so later: the event names our
    payment by reference (we never learnt the charge id) and settles it."""
    payment, _ = pay(rpc, SLOW)
    assert payment["status"] == "pending"
    event_id = f"evt_late_{uuid.uuid4().hex}"
    body = webhook_body(event_id, "authorization.failed", f"ch_{uuid.uuid4().hex}",
                        reference=payment["payment_id"], failure_code="card_declined")

    def deliver():
        response = gateway.post(WEBHOOK, data=body, headers=signed(webhook_secret, body))
        busy = response.status_code == 409 and \
            response.json()["error"]["code"] == "payment_in_progress"
        return None if busy else response  # a retry of ours is in flight: send it again

    response = wait_for(deliver, timeout=20, interval=0.2)

    assert response.status_code == 200, response.text
    assert response.json()["applied"] is True and response.json()["status"] == "failed"
    failed = rpc.payments.get_payment_by_order(payment["order_ref"])
    assert failed["failure_code"] == "card_declined"
    assert wait_event(redis_db, "payment.failed", payment["payment_id"])["data"]["reason"] == \
        "card_declined"
    time.sleep(2)  # the sweeper's retries must not fail it a second time
    assert len(events(redis_db, "payment.failed", payment["payment_id"])) == 1
