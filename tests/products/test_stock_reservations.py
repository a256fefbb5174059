"""Stories of stock under pressure: many buyers, one shelf, and orders that retry."""
import uuid

import pytest
import sqlalchemy as sa

from kit.errors import Conflict, NotFound, ValidationFailed
from tests.products.helpers import STAFF, at_once, ledger, stock_of, table_counts
from tests.support.harness import events_of_type, wait_for


def order_ref():
    return f"ord-{uuid.uuid4().hex[:12]}"


def reservations(engine, ref):
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT variant_id, quantity, status FROM inventory_reservations "
            "WHERE order_ref = :ref ORDER BY variant_id"), {"ref": ref}).mappings().all()


def test_fifty_shoppers_race_for_ten_units_and_exactly_ten_win(config, rpc, products_db,
                                                               make_product):
    variant = make_product(stocks=(10,))["variants"][0]["id"]
    refs = [order_ref() for _ in range(50)]

    outcomes = at_once(config, [
        (lambda client, ref=ref: client.products.reserve_stock(
            ref, [{"variant_id": variant, "quantity": 1}])) for ref in refs])

    won = [r for kind, r in outcomes if kind == "ok"]
    lost = [r for kind, r in outcomes if kind == "error"]
    assert len(won) == 10 and len(lost) == 40
    assert all(isinstance(e, Conflict) and e.code == "out_of_stock" for e in lost), lost[:3]
    assert all(e.details["lines"][0]["variant_id"] in (variant, str(variant)) for e in lost)
    assert stock_of(products_db, variant) == 0

    moves = [row for row in ledger(products_db, variant) if row["reason"] == "reserve"]
    assert len(moves) == 10
    assert sorted(m["new_quantity"] for m in moves) == list(range(10))  # each unit taken once
    assert all(m["delta"] == -1 and m["new_quantity"] >= 0 for m in moves)
    assert {m["order_ref"] for m in moves} == {r["order_ref"] for r in won}
    assert sum(row["delta"] for row in ledger(products_db, variant)) == 0  # ledger = shelf
    with products_db.connect() as conn:
        held = conn.scalar(sa.text("SELECT count(*) FROM inventory_reservations "
                                   "WHERE variant_id = :v"), {"v": variant})
    assert held == 10


def test_an_order_retried_concurrently_reserves_once(config, rpc, products_db, make_product):
    product = make_product(stocks=(10, 4))
    first, second = (v["id"] for v in product["variants"])
    ref = order_ref()
    items = [{"variant_id": first, "quantity": 3}, {"variant_id": second, "quantity": 2}]

    outcomes = at_once(config, [
        (lambda client: client.products.reserve_stock(ref, items)) for _ in range(8)])

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    results = [r for _, r in outcomes]
    assert sum(not r["replayed"] for r in results) == 1
    assert {r["status"] for r in results} == {"reserved"}
    assert (stock_of(products_db, first), stock_of(products_db, second)) == (7, 2)
    assert [dict(r) for r in reservations(products_db, ref)] == [
        {"variant_id": first, "quantity": 3, "status": "reserved"},
        {"variant_id": second, "quantity": 2, "status": "reserved"}]

    again = rpc.products.reserve_stock(ref, list(reversed(items)))
    assert again["replayed"] and again["items"] == results[0]["items"]
    assert (stock_of(products_db, first), stock_of(products_db, second)) == (7, 2)


def test_an_order_ref_cannot_be_reused_for_other_items(rpc, products_db, make_product):
    variant = make_product(stocks=(5,))["variants"][0]["id"]
    ref = order_ref()
    rpc.products.reserve_stock(ref, [{"variant_id": variant, "quantity": 1}])
    with pytest.raises(Conflict) as refused:
        rpc.products.reserve_stock(ref, [{"variant_id": variant, "quantity": 2}])
    assert refused.value.code == "reservation_mismatch"
    assert stock_of(products_db, variant) == 4


def test_a_basket_with_one_short_line_reserves_nothing(rpc, products_db, make_product):
    plenty, scarce = (v["id"] for v in make_product(stocks=(20, 1))["variants"])
    ref = order_ref()
    before = table_counts(products_db)

    with pytest.raises(Conflict) as short:
        rpc.products.reserve_stock(ref, [{"variant_id": plenty, "quantity": 2},
                                         {"variant_id": scarce, "quantity": 3}])

    assert short.value.code == "out_of_stock"
    (line,) = short.value.details["lines"]
    assert int(line["variant_id"]) == scarce
    assert int(line["requested"]) == 3 and int(line["available"]) == 1
    assert (stock_of(products_db, plenty), stock_of(products_db, scarce)) == (20, 1)
    assert table_counts(products_db) == before  # no reservation, no ledger row, no event


def test_release_puts_stock_back_and_is_idempotent(rpc, products_db, make_product):
    variant = make_product(stocks=(6,))["variants"][0]["id"]
    ref = order_ref()
    rpc.products.reserve_stock(ref, [{"variant_id": variant, "quantity": 4}])
    assert stock_of(products_db, variant) == 2

    released = rpc.products.release_stock(ref)
    assert released["status"] == "released" and not released["replayed"]
    assert stock_of(products_db, variant) == 6
    assert rpc.products.release_stock(ref)["replayed"]
    assert stock_of(products_db, variant) == 6
    assert [(r["reason"], r["delta"]) for r in ledger(products_db, variant)] == [
        ("initial_stock", 6), ("reserve", -4), ("release", 4)]

    with pytest.raises(Conflict) as late:
        rpc.products.commit_stock(ref)
    assert late.value.code == "reservation_released"
    # The same order_ref stays released: a replay never takes stock again.
    assert rpc.products.reserve_stock(ref, [{"variant_id": variant, "quantity": 4}])["status"] \
        == "released"
    assert stock_of(products_db, variant) == 6


def test_a_committed_reservation_cannot_be_released(rpc, products_db, make_product):
    variant = make_product(stocks=(3,))["variants"][0]["id"]
    ref = order_ref()
    rpc.products.reserve_stock(ref, [{"variant_id": variant, "quantity": 2}])

    committed = rpc.products.commit_stock(ref)
    assert committed["status"] == "committed" and not committed["replayed"]
    assert rpc.products.commit_stock(ref)["replayed"]
    before = table_counts(products_db)
    with pytest.raises(Conflict) as refused:
        rpc.products.release_stock(ref)
    assert refused.value.code == "reservation_committed"
    assert stock_of(products_db, variant) == 1
    assert reservations(products_db, ref)[0]["status"] == "committed"
    assert table_counts(products_db) == before


def test_stock_of_a_withdrawn_product_cannot_be_reserved(rpc, products_db, make_product):
    product = make_product(stocks=(5,))
    variant = product["variants"][0]["id"]
    rpc.products.deactivate_product(STAFF, product["id"])
    with pytest.raises(Conflict) as refused:
        rpc.products.reserve_stock(order_ref(), [{"variant_id": variant, "quantity": 1}])
    assert refused.value.details["lines"][0]["reason"] == "unavailable"
    assert stock_of(products_db, variant) == 5


def test_orders_get_clear_errors_for_bad_requests(rpc, products_db, make_product):
    variant = make_product(stocks=(5,))["variants"][0]["id"]
    before = table_counts(products_db)

    with pytest.raises(NotFound) as unknown:
        rpc.products.reserve_stock(order_ref(), [{"variant_id": variant, "quantity": 1},
                                                 {"variant_id": 987654321, "quantity": 1}])
    assert unknown.value.code == "variant_not_found"
    for quantity in (0, -2, 1.5, "1"):
        with pytest.raises(ValidationFailed) as bad:
            rpc.products.reserve_stock(order_ref(), [{"variant_id": variant, "quantity": quantity}])
        assert "quantity" in bad.value.details["fields"]["items"]["0"]
    with pytest.raises(ValidationFailed) as empty:
        rpc.products.reserve_stock(order_ref(), [])
    assert "items" in empty.value.details["fields"]
    with pytest.raises(ValidationFailed) as twice:
        rpc.products.reserve_stock(order_ref(), [{"variant_id": variant, "quantity": 1}] * 2)
    assert "items" in twice.value.details["fields"]
    with pytest.raises(NotFound) as nothing:
        rpc.products.release_stock(order_ref())
    assert nothing.value.code == "reservation_not_found"

    assert stock_of(products_db, variant) == 5
    assert table_counts(products_db) == before


def test_an_auditor_summing_the_ledger_finds_every_shelf_count(products_db, demo_catalog):
    with products_db.connect() as conn:
        disagree = conn.execute(sa.text("""
            SELECT v.id, v.inventory_count, coalesce(sum(l.delta), 0) AS ledger
            FROM product_variants v LEFT JOIN inventory_logs l ON l.variant_id = v.id
            GROUP BY v.id HAVING coalesce(sum(l.delta), 0) <> v.inventory_count""")).all()
        negative = conn.scalar(sa.text(
            "SELECT count(*) FROM product_variants WHERE inventory_count < 0"))
    assert disagree == [] and negative == 0


def test_a_sold_order_returned_before_shipping_puts_its_units_back_once(rpc, redis_db,
                                                                        products_db,
                                                                        make_product):
    product = make_product(stocks=(5, 3))
    first, second = (v["id"] for v in product["variants"])
    ref = order_ref()
    rpc.products.reserve_stock(ref, [{"variant_id": first, "quantity": 2},
                                     {"variant_id": second, "quantity": 1}])
    with pytest.raises(Conflict) as unsold:  # held, not sold: that is release_stock's job
        rpc.products.return_stock(ref)
    assert unsold.value.code == "reservation_not_committed"
    rpc.products.commit_stock(ref)
    assert (stock_of(products_db, first), stock_of(products_db, second)) == (3, 2)

    returned = rpc.products.return_stock(ref)
    assert returned["returned"] and not returned["replayed"]
    assert returned["status"] == "committed"  # the sale happened; the ledger tells the return
    assert (stock_of(products_db, first), stock_of(products_db, second)) == (5, 3)
    assert rpc.products.return_stock(ref)["replayed"]
    assert (stock_of(products_db, first), stock_of(products_db, second)) == (5, 3)
    assert [(r["reason"], r["delta"], r["order_ref"]) for r in ledger(products_db, first)] == [
        ("initial_stock", 5, None), ("reserve", -2, ref), ("return", 2, ref)]
    with pytest.raises(Conflict) as sold_again:  # a returned sale never frees its units twice
        rpc.products.release_stock(ref)
    assert sold_again.value.code == "reservation_committed"

    news = wait_for(lambda: [e for e in events_of_type(
        redis_db, "product_events", "product.inventory.updated", order_ref=ref)
        if e["data"]["reason"] == "return"] or None, timeout=20, message="return events")
    assert sorted((e["data"]["variant_id"], e["data"]["delta"]) for e in news) == [
        (first, 2), (second, 1)]
    assert redis_db.hget(f"inventory:{product['id']}", str(first)) == "5"
    with pytest.raises(NotFound):
        rpc.products.return_stock(order_ref())
