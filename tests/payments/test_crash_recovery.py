"""The payments process dies (kill -9) while a challenge is waiting for its webhook: the
provider's delivery was scheduled in Redis, so the restarted process still sends it, and the
payment completes exactly once."""
import time
from datetime import datetime, timezone

from tests.payments.helpers import (CHALLENGE, events, pay, payment_row, provider_ref, rows,
                                    sandbox_webhook, wait_event, wait_status)


def test_a_webhook_due_while_payments_is_dead_is_delivered_after_restart_exactly_once(
        platform, rpc, redis_db, payments_db, config):
    payment, _ = pay(rpc, CHALLENGE)
    assert payment["status"] == "requires_action"

    platform.kill("payments")
    time.sleep(float(config["PAYMENTS"]["webhook_delay_s"]) + 1)  # due, with nobody to send it
    event_id, waiting = sandbox_webhook(redis_db, provider_ref(payments_db,
                                                               payment["payment_id"]))
    assert waiting["status"] == "scheduled"
    assert payment_row(payments_db, payment["payment_id"])["status"] == "requires_action"
    restarted_at = datetime.now(timezone.utc)
    platform.start("payments")
    platform.wait_healthy("payments", timeout=90)

    done = wait_status(rpc, payment["payment_id"], "completed", timeout=30)

    assert done["captured_amount"] == payment["amount"]
    [received] = rows(payments_db, "SELECT received_at FROM processed_webhooks "
                                   "WHERE event_id = :e", e=event_id)
    assert received["received_at"] > restarted_at
    assert sandbox_webhook(redis_db, provider_ref(payments_db,
                                                  payment["payment_id"]))[1]["status"] == \
        "delivered"
    wait_event(redis_db, "payment.completed", payment["payment_id"])
    time.sleep(2)  # a second delivery or a second event would show by now
    assert len(events(redis_db, "payment.completed", payment["payment_id"])) == 1
    assert [a["kind"] for a in done["attempts"]] == ["authorize", "capture"]


def test_a_payment_whose_process_died_mid_call_is_finished_by_the_sweeper(
        platform, rpc, redis_db, payments_db, config):
    """A slow authorisation in flight when the process is killed: the attempt stays
    `started`; after restart the sweeper counts it as timed out and carries on."""
    payment, _ = pay(rpc, "4000 0000 0000 0119")
    assert payment["status"] == "pending"
    # Kill while the sweeper's first retry is (most likely) in flight; either way the
    # payment must end failed with every attempt accounted for.
    time.sleep(float(config["PAYMENTS"]["sweep_interval_s"]) * 1.5)
    platform.kill("payments")
    platform.start("payments")
    platform.wait_healthy("payments", timeout=90)

    failed = wait_status(rpc, payment["payment_id"], "failed", timeout=60)

    assert failed["failure_code"] == "provider_timeout"
    assert {a["status"] for a in failed["attempts"]} == {"timeout"}  # none left `started`
    assert len(failed["attempts"]) == 1 + int(config["PAYMENTS"]["max_provider_retries"])
    wait_event(redis_db, "payment.failed", payment["payment_id"])
    assert len(events(redis_db, "payment.failed", payment["payment_id"])) == 1
