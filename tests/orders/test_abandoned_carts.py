"""A cart left idle is logged as abandoned (from the cart service's cart.abandoned on
cart_events), once per idle period; when its shopper orders later, the log says so."""
import pytest

from kit.errors import Forbidden
from tests.orders.helpers import order_body
from tests.support.harness import wait_for


@pytest.fixture
def impatient_cart(platform):
    """The cart service calling a cart abandoned after a second of quiet, for this test."""
    platform.kill("cart")
    platform.start("cart", extra_env={"CART_ABANDON_AFTER_S": "1",
                                      "CART_ABANDON_SCAN_INTERVAL_S": "0.2"})
    platform.wait_healthy("cart")
    yield
    platform.kill("cart")
    platform.start("cart")
    platform.wait_healthy("cart")


def test_an_abandoned_cart_is_logged_and_marked_won_back_by_the_next_order(
        rpc, catalog, shopper, staff, impatient_cart):
    variant = catalog.variant(5)
    rpc.cart.add_item(shopper.owner, variant, 2)

    def logged():
        rows = rpc.orders.list_abandoned_carts(staff.actor, {"user_id": shopper.user_id})
        return rows["items"] or None

    rows = wait_for(logged, timeout=20, message="the abandoned cart in orders")
    assert len(rows) == 1
    assert rows[0]["cart_id"] == f"user:{shopper.user_id}"
    assert rows[0]["lines"] == {str(variant): 2}
    assert (rows[0]["item_count"], rows[0]["total_quantity"]) == (1, 2)
    assert rows[0]["recovered_order_id"] is None

    order = shopper.checkout(order_body()).json()

    won_back = rpc.orders.list_abandoned_carts(staff.actor, {"user_id": shopper.user_id,
                                                             "recovered": True})["items"]
    assert [r["recovered_order_id"] for r in won_back] == [order["id"]]
    with pytest.raises(Forbidden):
        rpc.orders.list_abandoned_carts(shopper.actor)
