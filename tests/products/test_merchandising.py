"""Stories of merchandisers editing the catalog, and of everyone else being kept out."""
import uuid

import pytest

from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.products.helpers import SHOPPER, STAFF, SUPPORT, table_counts
from tests.support.harness import events_of_type, wait_for


def product_news(redis_db, event_type, product_id, count=1):
    return wait_for(
        lambda: (lambda found: found if len(found) >= count else None)(
            events_of_type(redis_db, "product_events", event_type, product_id=product_id)),
        timeout=20, message=f"{count} {event_type} for product {product_id}")


def test_a_new_product_is_announced_with_its_variants(rpc, redis_db, make_product, shelf):
    product = make_product(stocks=(3, 0), price=129900)
    assert product["price"] == 129900 and product["currency"] == "INR"
    assert [v["availability"] for v in product["variants"]] == ["low_stock", "out_of_stock"]
    (created,) = product_news(redis_db, "product.created", product["id"])
    data = created["data"]
    assert data["price"] == 129900 and data["brand"]["id"] == shelf["brand_id"]
    assert data["category"]["path"] == ["men", "men-topwear", "men-topwear-t-shirts"]
    assert [v["sku"] for v in data["variants"]] == [v["sku"] for v in product["variants"]]
    assert created["source"] == "products" and created["version"] == 1
    live = redis_db.hgetall(f"inventory:{product['id']}")
    assert live == {str(v["id"]): str(v["inventory_count"]) for v in product["variants"]
                    if v["inventory_count"]}


def test_a_price_cut_reaches_the_product_stream_with_old_and_new_price(rpc, redis_db,
                                                                       make_product):
    product = make_product(price=199900)
    updated = rpc.products.update_product(SUPPORT, product["id"], {"price": 149900})
    assert updated["price"] == 149900
    assert rpc.products.get_product(product["id"])["price"] == 149900

    (news,) = product_news(redis_db, "product.updated", product["id"])
    assert news["data"]["old_price"] == 199900 and news["data"]["new_price"] == 149900
    assert news["data"]["changes"] == {"price": {"old": 199900, "new": 149900}}
    assert news["data"]["currency"] == "INR"

    # Saving the same price again is not news.
    rpc.products.update_product(SUPPORT, product["id"], {"price": 149900})
    rpc.products.update_product(SUPPORT, product["id"], {"name": "Renamed Tee"})
    updates = product_news(redis_db, "product.updated", product["id"], count=2)
    assert len(updates) == 2 and "price" not in updates[1]["data"]["changes"]


def test_a_variant_price_override_is_what_the_shopper_pays(rpc, redis_db, make_product):
    product = make_product(stocks=(5,), price=99900)
    variant = product["variants"][0]["id"]
    changed = rpc.products.update_variant(STAFF, variant, {"price": 109900})
    assert changed["price"] == 109900 and changed["price_override"] == 109900
    assert rpc.products.get_variants([variant])[0]["price"] == 109900
    (news,) = product_news(redis_db, "product.updated", product["id"])
    assert news["data"]["variant_id"] == variant
    assert (news["data"]["old_price"], news["data"]["new_price"]) == (99900, 109900)
    back = rpc.products.update_variant(STAFF, variant, {"price": None})
    assert back["price"] == 99900 and back["price_override"] is None


def test_a_merchandiser_adds_variants_and_images(rpc, make_product):
    product = make_product(stocks=(1,))
    tag = uuid.uuid4().hex[:6]
    variant = rpc.products.add_variant(STAFF, product["id"], {
        "sku": f"t-{tag}-xl", "size": "XL", "colour": "Navy", "inventory_count": 12})
    assert variant["sku"] == f"T-{tag.upper()}-XL" and variant["inventory_count"] == 12
    image = rpc.products.add_image(STAFF, product["id"],
                                   {"url": "https://cdn.aarya.example/x/2.jpg", "alt_text": "back"})
    assert image["position"] == 1
    page = rpc.products.get_product(product["id"])
    assert [v["size"] for v in page["variants"]] == ["S0", "XL"]
    assert [i["position"] for i in page["images"]] == [0, 1]

    with pytest.raises(Conflict) as same_sku:
        rpc.products.add_variant(STAFF, product["id"], {"sku": f"t-{tag}-xl", "size": "L",
                                                        "colour": "Navy"})
    assert same_sku.value.code == "sku_taken"
    with pytest.raises(Conflict) as same_size:
        rpc.products.add_variant(STAFF, product["id"], {"sku": f"T-{tag}-XL2", "size": "xl",
                                                        "colour": "navy"})
    assert same_size.value.code == "variant_exists"


def test_a_withdrawn_product_leaves_the_shop(rpc, make_product):
    product = make_product(name=f"Withdrawn Tee {uuid.uuid4().hex[:6]}")
    rpc.products.deactivate_product(STAFF, product["id"])
    with pytest.raises(NotFound):
        rpc.products.get_product(product["id"])
    assert rpc.products.get_product(product["id"], include_inactive=True)["is_active"] is False
    assert rpc.products.list_products({"q": product["name"]})["items"] == []
    (for_sale,) = rpc.products.get_variants([product["variants"][0]["id"]])
    assert (for_sale["is_active"], for_sale["in_stock"], for_sale["availability"]) == (
        False, False, "unavailable")


def test_shoppers_cannot_edit_the_catalog_and_nothing_is_written(rpc, products_db, make_product,
                                                                 shelf):
    product = make_product(stocks=(5,))
    variant = product["variants"][0]["id"]
    before = table_counts(products_db)
    new = {"name": "Sneaky", "brand_id": shelf["brand_id"], "category_id": shelf["category_id"],
           "price": 100}
    attempts = [
        lambda: rpc.products.create_product(SHOPPER, new),
        lambda: rpc.products.update_product(SHOPPER, product["id"], {"price": 1}),
        lambda: rpc.products.deactivate_product(SHOPPER, product["id"]),
        lambda: rpc.products.add_variant(SHOPPER, product["id"], {"sku": "SNEAKY-1", "size": "M",
                                                                  "colour": "Red"}),
        lambda: rpc.products.update_variant(SHOPPER, variant, {"price": 1}),
        lambda: rpc.products.add_image(SHOPPER, product["id"], {"url": "https://x.example/a.jpg"}),
        lambda: rpc.products.create_product({"user_id": 1, "role": "root"}, new),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden) as refused:
            attempt()
        assert refused.value.code == "staff_only"
    assert table_counts(products_db) == before
    assert rpc.products.get_product(product["id"])["price"] == product["price"]


@pytest.mark.parametrize("change,field", [
    ({"price": -1}, "price"), ({"price": 10.5}, "price"), ({"price": "100"}, "price"),
    ({"currency": "JPY"}, "currency"), ({"name": "   "}, "name"),
    ({"brand_id": 987654321}, "brand_id"),
    ({"category_id": 987654321}, "category_id"), ({"colour": "red"}, "colour"),
])
def test_bad_product_edits_name_the_field_and_write_nothing(rpc, products_db, make_product,
                                                           change, field):
    product = make_product()
    before = table_counts(products_db)
    with pytest.raises(ValidationFailed) as bad:
        rpc.products.update_product(STAFF, product["id"], change)
    assert list(bad.value.details["fields"]) == [field]
    assert table_counts(products_db) == before


def test_bad_new_products_name_the_field_and_write_nothing(rpc, products_db, shelf, demo_catalog):
    before = table_counts(products_db)
    good = {"name": "Fine Tee", "brand_id": shelf["brand_id"],
            "category_id": shelf["category_id"], "price": 49900}
    for payload, field in [
        ({**good, "price": -100}, "price"),
        ({**good, "currency": "XYZ"}, "currency"),
        ({k: v for k, v in good.items() if k != "price"}, "price"),
        ({**good, "variants": [{"sku": "OK-1", "size": "M", "colour": "Red",
                                "inventory_count": -5}]}, "variants"),
        ({**good, "variants": [{"sku": "OK-1", "size": "M", "colour": "Red", "price": -1}]},
         "variants"),
        ({**good, "images": [{"url": "not a url"}]}, "images"),
        ({**good, "slug": "Not A Slug"}, "slug"),
    ]:
        with pytest.raises(ValidationFailed) as bad:
            rpc.products.create_product(STAFF, payload)
        assert list(bad.value.details["fields"]) == [field], payload
    assert table_counts(products_db) == before


def test_unknown_products_and_variants_are_not_found_for_staff(rpc, products_db, demo_catalog):
    before = table_counts(products_db)
    with pytest.raises(NotFound) as product:
        rpc.products.update_product(STAFF, 987654321, {"price": 100})
    assert product.value.code == "product_not_found"
    with pytest.raises(NotFound) as variant:
        rpc.products.update_variant(STAFF, 987654321, {"price": 100})
    assert variant.value.code == "variant_not_found"
    with pytest.raises(NotFound):
        rpc.products.add_image(STAFF, 987654321, {"url": "https://cdn.aarya.example/a.jpg"})
    assert table_counts(products_db) == before
