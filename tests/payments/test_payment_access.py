"""Who may read a payment through the gateway: its shopper and staff; to anyone else it does
not exist."""
from tests.payments.helpers import DECLINED, assert_error, new_shopper, pay


def test_a_shopper_reads_their_own_payment_and_nobody_elses(rpc, gateway):
    owner, stranger = new_shopper(), new_shopper()
    payment, _ = pay(rpc, DECLINED, user_id=owner)
    path = f"/api/payments/{payment['payment_id']}"

    mine = gateway.get(path, gateway.headers(owner))
    theirs = gateway.get(path, gateway.headers(stranger))
    missing = gateway.get("/api/payments/pay_" + "0" * 32, gateway.headers(owner))
    staff = gateway.get(path, gateway.headers(9101, "admin"))
    signed_out = gateway.get(path)

    assert mine.status_code == 200, mine.text
    assert (mine.json()["status"], mine.json()["failure_code"]) == ("failed", "card_declined")
    assert "attempts" not in mine.json() and "fraud" not in mine.json()
    # Someone else's payment looks exactly like one that does not exist.
    assert assert_error(theirs, 404, "payment_not_found")["message"] == \
        assert_error(missing, 404, "payment_not_found")["message"].replace(
            "pay_" + "0" * 32, payment["payment_id"])
    assert staff.status_code == 200
    assert [a["kind"] for a in staff.json()["attempts"]] == ["authorize"]
    assert staff.json()["fraud"]["decision"] == "allow"
    assert_error(signed_out, 401)


def test_a_malformed_payment_id_is_named(gateway):
    assert_error(gateway.get("/api/payments/not-a-payment", gateway.headers(new_shopper())),
                 422, "validation_failed")
