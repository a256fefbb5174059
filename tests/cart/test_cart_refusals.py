"""Bad input is refused with a typed error naming the problem, and the cart stays as it was:
no change, no event, no analytics entry."""
import time

import pytest

from kit.errors import Conflict, NotFound, ValidationFailed
from tests.cart.conftest import all_cart_events, analytics_entries


@pytest.fixture
def stocked_cart(rpc, catalog, shopper):
    """A shopper whose cart holds 2 of a variant with 5 in stock, plus a retired product."""
    variant = catalog.variant(stock=5)
    retired = catalog.product([3])
    rpc.cart.add_item(shopper, variant, 2)
    catalog.deactivate(retired["product_id"])
    return {"owner": shopper, "variant": variant, "retired": retired["variant_ids"][0]}


def snapshot(redis_db, owner):
    return (redis_db.hgetall(f"cart:{owner['user_id']}"), len(analytics_entries(redis_db, owner)),
            len(all_cart_events(redis_db, owner)))


REFUSALS = [
    # (name, call(rpc, cart), error type, code, field named in details.fields or None)
    ("add zero", lambda rpc, c: rpc.cart.add_item(c["owner"], c["variant"], 0),
     ValidationFailed, "validation_failed", "quantity"),
    ("add negative", lambda rpc, c: rpc.cart.add_item(c["owner"], c["variant"], -3),
     ValidationFailed, "validation_failed", "quantity"),
    ("add a string", lambda rpc, c: rpc.cart.add_item(c["owner"], c["variant"], "2"),
     ValidationFailed, "validation_failed", "quantity"),
    ("add a fraction", lambda rpc, c: rpc.cart.add_item(c["owner"], c["variant"], 1.5),
     ValidationFailed, "validation_failed", "quantity"),
    ("add true", lambda rpc, c: rpc.cart.add_item(c["owner"], c["variant"], True),
     ValidationFailed, "validation_failed", "quantity"),
    ("add above stock", lambda rpc, c: rpc.cart.add_item(c["owner"], c["variant"], 6),
     ValidationFailed, "insufficient_stock", "quantity"),
    ("add past stock with what is held", lambda rpc, c: rpc.cart.add_item(c["owner"],
                                                                           c["variant"], 4),
     ValidationFailed, "insufficient_stock", "quantity"),
    ("update above stock", lambda rpc, c: rpc.cart.update_item(c["owner"], c["variant"], 9),
     ValidationFailed, "insufficient_stock", "quantity"),
    ("update negative", lambda rpc, c: rpc.cart.update_item(c["owner"], c["variant"], -1),
     ValidationFailed, "validation_failed", "quantity"),
    ("unknown variant", lambda rpc, c: rpc.cart.add_item(c["owner"], 987654321, 1),
     NotFound, "variant_not_found", None),
    ("bad variant id", lambda rpc, c: rpc.cart.add_item(c["owner"], "abc", 1),
     ValidationFailed, "validation_failed", "variant_id"),
    ("deactivated product", lambda rpc, c: rpc.cart.add_item(c["owner"], c["retired"], 1),
     Conflict, "product_inactive", None),
    ("grow a line to a deactivated product",
     lambda rpc, c: rpc.cart.update_item(c["owner"], c["retired"], 2),
     Conflict, "product_inactive", None),
    ("owner with both ids", lambda rpc, c: rpc.cart.add_item(
        {**c["owner"], "session_id": "s" * 20}, c["variant"], 1),
     ValidationFailed, "validation_failed", "owner"),
    ("owner with neither", lambda rpc, c: rpc.cart.add_item({}, c["variant"], 1),
     ValidationFailed, "validation_failed", "owner"),
    ("guessable session id", lambda rpc, c: rpc.cart.add_item({"session_id": "abc"},
                                                               c["variant"], 1),
     ValidationFailed, "validation_failed", "owner"),
    ("owner not an object", lambda rpc, c: rpc.cart.get_cart(42),
     ValidationFailed, "validation_failed", "owner"),
    ("merge into no user", lambda rpc, c: rpc.cart.merge_carts("s" * 20, 0),
     ValidationFailed, "validation_failed", "user_id"),
    ("hold with a silly ttl", lambda rpc, c: rpc.cart.hold_for_checkout(c["owner"], "o-1", 5),
     ValidationFailed, "validation_failed", "ttl_s"),
]


@pytest.mark.parametrize("name,call,error,code,field", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_input_is_refused_and_leaves_the_cart_untouched(rpc, redis_db, stocked_cart,
                                                            name, call, error, code, field):
    owner = stocked_cart["owner"]
    time.sleep(0.3)  # the setup's own events reach cart_events first
    before = snapshot(redis_db, owner)
    with pytest.raises(error) as refused:
        call(rpc, stocked_cart)
    assert refused.value.code == code
    if field:
        assert field in refused.value.details["fields"], refused.value.details
    if code == "insufficient_stock":
        assert refused.value.details["available"] == 5
        assert refused.value.details["in_cart"] == 2
    time.sleep(0.3)  # an event, had one been staged, would be in the stream by now
    assert snapshot(redis_db, owner) == before
    assert rpc.cart.get_cart(owner)["lines"][0]["quantity"] == 2


def test_checkout_of_an_empty_cart_or_a_cart_with_problems_is_refused(rpc, catalog, shopper,
                                                                       guest, redis_db):
    with pytest.raises(Conflict) as empty:
        rpc.cart.hold_for_checkout(guest, "ord-empty")
    assert empty.value.code == "cart_empty"

    coat = catalog.variant(stock=3)
    rpc.cart.add_item(shopper, coat, 3)
    catalog.set_stock(coat, 1)
    with pytest.raises(Conflict) as short:
        rpc.cart.hold_for_checkout(shopper, "ord-short")
    assert short.value.code == "cart_not_ready"
    assert short.value.details["lines"] == [{"variant_id": coat,
                                             "problems": ["insufficient_stock"]}]
    assert not redis_db.exists(f"inventory:lock:{coat}:ord-short")
