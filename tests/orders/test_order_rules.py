"""The orders service's pure rules, without a broker: the status machine, what each status
still owes the saga, and what a checkout request must look like."""
from types import SimpleNamespace

import pytest

from kit.errors import Conflict, ValidationFailed
from kit.schemas import load
from services.orders import lifecycle, status
from services.orders.schemas import CreateOrderSchema, StatusChangeSchema
from services.orders.status import OrderStatus as S
from tests.orders.helpers import ADDRESS, order_body

DIAGRAM = {  # docs/checkout-saga.md, drawn as arrows
    ("pending", "payment_pending"), ("payment_pending", "paid"), ("paid", "fulfilled"),
    ("fulfilled", "shipped"), ("shipped", "delivered"), ("payment_pending", "payment_failed"),
    ("pending", "cancelled"), ("payment_pending", "cancelled"), ("paid", "refunded"),
    ("fulfilled", "refunded"),
}


@pytest.mark.parametrize("old", [s.value for s in S])
@pytest.mark.parametrize("new", [s.value for s in S])
def test_only_the_moves_of_the_diagram_are_legal(old, new):
    if (old, new) in DIAGRAM:
        assert status.check(old, new) == S(new)
        return
    with pytest.raises(Conflict) as refused:
        status.check(old, new)
    assert refused.value.code == "illegal_transition"
    assert refused.value.details["from"] == old and refused.value.details["to"] == new
    assert set(refused.value.details["allowed"]) == {b for a, b in DIAGRAM if a == old}


def test_final_statuses_have_no_way_out_and_every_other_can_end():
    assert set(status.FINAL) == {S.DELIVERED, S.PAYMENT_FAILED, S.CANCELLED, S.REFUNDED}
    for s in S:
        assert any(status.reachable(s, end) or s == end for end in status.FINAL), s


def test_a_late_outcome_walks_every_step_in_between():
    assert status.path("pending", "paid") == [S.PAYMENT_PENDING, S.PAID]
    assert status.path("pending", "payment_failed") == [S.PAYMENT_PENDING, S.PAYMENT_FAILED]
    assert status.path("paid", "paid") == []
    with pytest.raises(Conflict):
        status.path("cancelled", "paid")
    with pytest.raises(Conflict):
        status.path("shipped", "refunded")


def order(**fields):
    base = dict(status="paid", source="cart", payment_status=None, stock_committed_at=None,
                cart_cleared_at=None,
                stock_released_at=None, stock_returned_at=None, refund_requested_at=None,
                refund_completed_at=None)
    return SimpleNamespace(**{**base, **fields})


def test_what_each_status_still_owes_the_saga():
    done = "2026-11-25T10:00:00Z"
    assert lifecycle.followups(order()) == ["commit_stock", "clear_cart"]
    assert lifecycle.followups(order(source="items")) == ["commit_stock"]
    assert lifecycle.followups(order(stock_committed_at=done, cart_cleared_at=done)) == []
    assert lifecycle.followups(order(status="pending")) == []
    assert lifecycle.followups(order(status="payment_failed")) == ["release_stock"]
    assert lifecycle.followups(order(status="cancelled", stock_released_at=done,
                                     refund_requested_at=done)) == ["refund"]
    assert lifecycle.followups(order(status="paid", refund_requested_at=done,
                                     stock_committed_at=done, cart_cleared_at=done)) == ["refund"]
    # refunded before the sale was even committed: commit, then put it back
    assert lifecycle.followups(order(status="refunded", refund_requested_at=done,
                                     refund_completed_at=done)) == ["commit_stock",
                                                                    "return_stock"]


def test_a_checkout_request_names_every_problem():
    body = order_body()
    body["shipping_address"] = {**ADDRESS, "country": "in", "postal_code": " 560001 ",
                                "phone": "(+91) 98765-43210"}
    loaded = load(CreateOrderSchema(), body)
    assert loaded["shipping_address"]["country"] == "IN"
    assert loaded["shipping_address"]["postal_code"] == "560001"
    assert loaded["shipping_address"]["phone"] == "+919876543210"

    bad = order_body(number="4242424242424241")
    bad["payment_method"]["card"].update(exp_month=1, exp_year=2020)
    bad["payment_method"]["token"] = "tok_visa"
    bad["shipping_address"]["zip"] = "560001"
    bad["coupon"] = "DIWALI"
    with pytest.raises(ValidationFailed) as refused:
        load(CreateOrderSchema(), bad)
    fields = refused.value.details["fields"]
    assert fields["coupon"] == ["Unknown field."]
    assert fields["shipping_address"] == {"zip": ["Unknown field."]}
    assert fields["payment_method"]["card"]["number"] == ["Not a valid card number."]

    for country, code, ok in [("US", "94103", True), ("US", "9410", False),
                              ("GB", "SW1A 1AA", True), ("IN", "56001", False),
                              ("FR", "75001", True), ("BR", "01310-100", True)]:
        body = order_body()
        body["shipping_address"].update(country=country, postal_code=code)
        if ok:
            load(CreateOrderSchema(), body)
        else:
            with pytest.raises(ValidationFailed) as refused:
                load(CreateOrderSchema(), body)
            assert "postal_code" in refused.value.details["fields"]["shipping_address"]


def test_an_expired_card_or_two_ways_to_pay_are_refused():
    expired = order_body()
    expired["payment_method"]["card"].update(exp_month=1, exp_year=2021)
    with pytest.raises(ValidationFailed) as refused:
        load(CreateOrderSchema(), expired)
    assert refused.value.details["fields"]["payment_method"]["card"]["exp_year"] == [
        "The card has expired."]
    both = order_body()
    both["payment_method"]["token"] = "tok_visa"
    with pytest.raises(ValidationFailed) as refused:
        load(CreateOrderSchema(), both)
    assert "_schema" in refused.value.details["fields"]["payment_method"]


def test_staff_move_fulfilment_only():
    assert load(StatusChangeSchema(), {"status": "shipped"})["status"] == "shipped"
    for saga_owned in ("paid", "refunded", "cancelled", "payment_failed", "pending"):
        with pytest.raises(ValidationFailed):
            load(StatusChangeSchema(), {"status": saga_owned})
