"""Stories of stock news: what a stock-alert subscriber and the live-stock cache see."""
import uuid

import pytest

from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.products.helpers import SHOPPER, STAFF, SUPPORT, ledger, stock_of, table_counts
from tests.support.harness import events_of_type, wait_for


def stock_news(redis_db, variant_id, count):
    """The first `count` product.inventory.updated events for a variant, from product_events."""
    return wait_for(
        lambda: (lambda found: found if len(found) >= count else None)(
            events_of_type(redis_db, "product_events", "product.inventory.updated",
                           variant_id=variant_id)),
        timeout=20, message=f"{count} stock events for variant {variant_id}")


def test_stock_alerts_follow_the_low_stock_threshold(rpc, redis_db, products_db, make_product):
    product = make_product(stocks=(7,), threshold=5)
    variant = product["variants"][0]["id"]
    ref = f"ord-{uuid.uuid4().hex[:10]}"

    rpc.products.reserve_stock(ref, [{"variant_id": variant, "quantity": 1}])     # 7 → 6
    rpc.products.adjust_stock(STAFF, variant, -1, "damaged in store")             # 6 → 5
    rpc.products.set_stock(SUPPORT, variant, 0, "shelf count")                    # 5 → 0
    rpc.products.release_stock(ref)                                               # 0 → 1
    rpc.products.adjust_stock(STAFF, variant, 40, "delivery from supplier")       # 1 → 41

    events = stock_news(redis_db, variant, 6)
    assert [(e["data"]["old"], e["data"]["new"], e["data"]["status"]) for e in events] == [
        (0, 7, "back_in_stock"),        # opening stock of a new variant
        (7, 6, "in_stock"),
        (6, 5, "low_stock"),
        (5, 0, "out_of_stock"),
        (0, 1, "back_in_stock"),
        (1, 41, "in_stock"),
    ]
    assert [e["data"]["previous_status"] for e in events] == [
        "out_of_stock", "in_stock", "in_stock", "low_stock", "out_of_stock", "low_stock"]
    assert all(e["data"]["product_id"] == product["id"] for e in events)
    assert [e["data"]["reason"] for e in events] == [
        "initial_stock", "reserve", "damaged in store", "shelf count", "release",
        "delivery from supplier"]
    assert events[1]["data"]["order_ref"] == ref and events[1]["data"]["delta"] == -1
    assert [(r["old_quantity"], r["new_quantity"]) for r in ledger(products_db, variant)] == [
        (e["data"]["old"], e["data"]["new"]) for e in events]

    # The live-stock cache shows the last count; the product page shows it too.
    assert redis_db.hget(f"inventory:{product['id']}", str(variant)) == "41"
    page = rpc.products.get_product(product["id"])
    assert page["variants"][0]["inventory_count"] == 41
    assert page["variants"][0]["availability"] == "in_stock"


def test_setting_the_same_count_again_changes_nothing(rpc, products_db, make_product):
    variant = make_product(stocks=(9,))["variants"][0]["id"]
    before = table_counts(products_db)
    assert rpc.products.set_stock(STAFF, variant, 9, "recount")["inventory_count"] == 9
    assert table_counts(products_db) == before


def test_staff_cannot_write_off_more_than_the_shelf_holds(rpc, products_db, make_product):
    variant = make_product(stocks=(2,))["variants"][0]["id"]
    before = table_counts(products_db)
    with pytest.raises(Conflict) as refused:
        rpc.products.adjust_stock(STAFF, variant, -3, "damaged")
    assert refused.value.code == "insufficient_stock"
    assert stock_of(products_db, variant) == 2
    assert table_counts(products_db) == before


def test_only_staff_may_touch_stock_and_bad_input_writes_nothing(rpc, products_db, make_product):
    variant = make_product(stocks=(4,))["variants"][0]["id"]
    before = table_counts(products_db)

    for actor in (SHOPPER, None, {"user_id": 1}, {"user_id": "1", "role": "admin"}):
        with pytest.raises(Forbidden) as refused:
            rpc.products.set_stock(actor, variant, 100, "I wish")
        assert refused.value.code == "staff_only"
    with pytest.raises(Forbidden):
        rpc.products.adjust_stock(SHOPPER, variant, 5, "gift to myself")
    with pytest.raises(NotFound) as unknown:
        rpc.products.set_stock(STAFF, 987654321, 5, "recount")
    assert unknown.value.code == "variant_not_found"
    for quantity in (-1, 2.5, True):
        with pytest.raises(ValidationFailed) as bad:
            rpc.products.set_stock(STAFF, variant, quantity, "recount")
        assert list(bad.value.details["fields"]) == ["quantity"]
    with pytest.raises(ValidationFailed) as zero:
        rpc.products.adjust_stock(STAFF, variant, 0, "nothing")
    assert list(zero.value.details["fields"]) == ["delta"]
    with pytest.raises(ValidationFailed) as no_reason:
        rpc.products.adjust_stock(STAFF, variant, 3, "  ")
    assert list(no_reason.value.details["fields"]) == ["reason"]

    assert stock_of(products_db, variant) == 4
    assert table_counts(products_db) == before
