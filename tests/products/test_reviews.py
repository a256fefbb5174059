"""Stories of shoppers reviewing what they bought."""
import pytest

from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.products.helpers import table_counts
from tests.support.harness import events_of_type, wait_for


def test_a_shopper_reviews_once_and_the_rating_follows(rpc, redis_db, make_product):
    product = make_product()
    first = rpc.products.add_review(101, product["id"], 5, "Love it", "Soft and true to size.")
    rpc.products.add_review(102, product["id"], 2, "Meh", "Shrank after one wash.")
    page = rpc.products.get_product(product["id"])
    assert page["rating"] == {"avg": 3.5, "count": 2,
                              "histogram": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}}

    with pytest.raises(Conflict) as again:
        rpc.products.add_review(101, product["id"], 4, "Second thoughts", "Still good.")
    assert again.value.code == "review_exists"

    edited = rpc.products.update_review(101, first["id"], {"rating": 4})
    assert edited["rating"] == 4 and edited["title"] == "Love it"
    assert rpc.products.get_product(product["id"])["rating"]["avg"] == 3.0
    listed = rpc.products.list_products({"q": product["name"]})["items"]
    assert listed[0]["rating"] == {"avg": 3.0, "count": 2}

    news = wait_for(lambda: (lambda found: found if len(found) >= 3 else None)(
        events_of_type(redis_db, "product_events", "product.reviewed", product_id=product["id"])),
        timeout=20, message="three product.reviewed events")
    assert [(e["data"]["action"], e["data"]["rating"], e["data"]["rating_avg"]) for e in news] == [
        ("created", 5, 5.0), ("created", 2, 3.5), ("updated", 4, 3.0)]


def test_only_the_author_may_edit_a_review(rpc, products_db, make_product):
    product = make_product()
    review = rpc.products.add_review(201, product["id"], 4, "Nice", "Good colour.")
    before = table_counts(products_db)
    with pytest.raises(Forbidden) as refused:
        rpc.products.update_review(202, review["id"], {"rating": 1})
    assert refused.value.code == "not_review_author"
    with pytest.raises(NotFound) as missing:
        rpc.products.update_review(201, 987654321, {"rating": 1})
    assert missing.value.code == "review_not_found"
    assert table_counts(products_db) == before


def test_reviews_page_newest_first(rpc, make_product):
    product = make_product()
    for user in range(301, 308):
        rpc.products.add_review(user, product["id"], 3 + user % 3, f"Review {user}", "Fine.")
    seen, cursor = [], None
    while True:
        page = rpc.products.list_reviews(product["id"], cursor=cursor, limit=3)
        seen += [r["user_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(307, 300, -1))


@pytest.mark.parametrize("rating,title,body,field", [
    (6, "Great", "Great.", "rating"), (0, "Great", "Great.", "rating"),
    (4.5, "Great", "Great.", "rating"), (5, "", "Great.", "title"), (5, "Great", " ", "body"),
])
def test_bad_reviews_name_the_field_and_write_nothing(rpc, products_db, make_product,
                                                     rating, title, body, field):
    product = make_product()
    before = table_counts(products_db)
    with pytest.raises(ValidationFailed) as bad:
        rpc.products.add_review(401, product["id"], rating, title, body)
    assert list(bad.value.details["fields"]) == [field]
    assert table_counts(products_db) == before


def test_reviewing_an_unknown_product_is_not_found(rpc, products_db, demo_catalog):
    before = table_counts(products_db)
    with pytest.raises(NotFound) as missing:
        rpc.products.add_review(501, 987654321, 5, "Great", "Great.")
    assert missing.value.code == "product_not_found"
    assert table_counts(products_db) == before
