"""Stories of a shopper's saved cards through the gateway: the card goes to the provider's
vault, Aarya keeps only the token and what can be shown, and nobody else can pay with it."""
import json
import uuid

import pytest

from kit.errors import NotFound
from tests.payments.helpers import (CHALLENGE, SUCCESS, assert_error, card, new_shopper, pay,
                                    rows)

PAN = "4242424242424242"


def everything_in(payments_db):
    """Every row of every payments_db table, as text."""
    tables = [r["tablename"] for r in rows(
        payments_db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    return {t: json.dumps(rows(payments_db, f"SELECT row_to_json(t) AS r FROM {t} t"),
                          default=str) for t in tables}


def test_a_saved_card_keeps_only_its_token_brand_last4_and_expiry(rpc, gateway, payments_db,
                                                                  redis_db):
    shopper = new_shopper()
    me = gateway.headers(shopper)

    saved = gateway.post("/api/payments/methods", card(SUCCESS, cvc="737"), headers=me)

    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert set(body) == {"token", "brand", "last4", "exp_month", "exp_year",
                         "payment_method_id"}
    assert (body["brand"], body["last4"]) == ("visa", "4242")
    [row] = rows(payments_db, "SELECT * FROM payment_methods WHERE id = :id",
                 id=body["payment_method_id"])
    assert set(row) == {"id", "user_id", "provider_token", "brand", "last4", "exp_month",
                        "exp_year", "created_at"}
    assert row["user_id"] == shopper and row["provider_token"] == body["token"]
    # Paying with it, then looking everywhere we keep data: no card number, no CVC.
    payment, _ = pay(rpc, user_id=shopper, method={"token": body["token"]})
    assert payment["status"] == "completed"
    assert payment["method"]["payment_method_id"] == body["payment_method_id"]
    for table, text in everything_in(payments_db).items():
        assert PAN not in text and "4242 4242" not in text, table
        assert '"737"' not in text and "cvc" not in text.lower(), table
    vault = redis_db.hgetall(f"sandbox:vault:{body['token']}")
    assert vault["number"] == PAN and "cvc" not in vault  # only the provider holds the number


def test_saved_cards_are_listed_and_deleted_by_their_owner_only(gateway):
    owner, other = new_shopper(), new_shopper()
    mine, theirs = gateway.headers(owner), gateway.headers(other)
    first = gateway.post("/api/payments/methods", card(SUCCESS), headers=mine).json()
    second = gateway.post("/api/payments/methods", card(CHALLENGE), headers=mine).json()

    listed = gateway.get("/api/payments/methods", mine).json()["items"]
    assert [m["id"] for m in listed] == [second["payment_method_id"],
                                         first["payment_method_id"]]  # newest first
    assert {m["last4"] for m in listed} == {"4242", "3220"}
    assert gateway.get("/api/payments/methods", theirs).json() == {"items": []}

    stolen = gateway.delete(f"/api/payments/methods/{first['payment_method_id']}", theirs)
    assert_error(stolen, 404, "payment_method_not_found")
    gone = gateway.delete(f"/api/payments/methods/{first['payment_method_id']}", mine)
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    assert [m["id"] for m in gateway.get("/api/payments/methods", mine).json()["items"]] == [
        second["payment_method_id"]]


def test_nobody_else_can_pay_with_a_shoppers_saved_card(rpc, gateway):
    owner = new_shopper()
    saved = gateway.post("/api/payments/methods", card(SUCCESS),
                         headers=gateway.headers(owner)).json()

    with pytest.raises(NotFound) as refused:
        pay(rpc, user_id=new_shopper(), method={"token": saved["token"]})
    assert refused.value.code == "payment_method_not_found"


def test_saving_a_card_again_with_the_same_key_returns_the_first_one(gateway, payments_db):
    shopper = new_shopper()
    same = {**gateway.headers(shopper), "Idempotency-Key": f"card-{uuid.uuid4().hex}"}

    first = gateway.post("/api/payments/methods", card(SUCCESS), headers=same)
    again = gateway.post("/api/payments/methods", card(SUCCESS), headers=same)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(rows(payments_db, "SELECT 1 FROM payment_methods WHERE user_id = :u",
                    u=shopper)) == 1


def test_a_bad_card_is_refused_with_the_field_named(gateway):
    me = gateway.headers(new_shopper())

    luhn = gateway.post("/api/payments/methods", card("4242 4242 4242 4241"), headers=me)
    expired = gateway.post("/api/payments/methods", {**card(SUCCESS), "exp_year": 2020},
                           headers=me)
    no_cvc = gateway.post("/api/payments/methods",
                          {k: v for k, v in card(SUCCESS).items() if k != "cvc"}, headers=me)
    signed_out = gateway.post("/api/payments/methods", card(SUCCESS))

    assert assert_error(luhn, 422, "card_invalid")["details"]["fields"] == {
        "card": {"number": ["Not a valid card number."]}}
    assert "exp_year" in assert_error(expired, 422, "card_expired")["details"]["fields"]["card"]
    assert "cvc" in assert_error(no_cvc, 422, "validation_failed")["details"]["fields"]["card"]
    assert_error(signed_out, 401)
