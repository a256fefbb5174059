"""Pure logic of the models and rules, no servers: the business rules, when an order counts
as bought, the model artifact's round trip, folding a shopper in, and the offline evaluation
on a small synthetic catalog."""
import json

import numpy as np
import scipy.sparse as sp

from kit import recs_cache
from services.recommendations import (algorithms, behaviour, evaluation, purchases,
                                      rules)

CATEGORIES = ["kurtas", "jeans", "sneakers", "sarees", "shirts", "shorts"]
BRANDS = ["indigo", "monsoon", "ganga", "konark", "rangoli"]


def synthetic_catalog(n=120):
    items = []
    for p in range(1, n + 1):
        category, brand = CATEGORIES[p % len(CATEGORIES)], BRANDS[(p // 7) % len(BRANDS)]
        root = "men" if p % 2 else "women"
        items.append({
            "product_id": p, "name": f"{brand} {category} {p}", "slug": f"p-{p}",
            "description": f"A {category} by {brand}",
            "brand": {"id": BRANDS.index(brand) + 1, "name": brand, "slug": brand},
            "category": {"id": CATEGORIES.index(category) + 1, "name": category,
                         "slug": category, "path": [root, category]},
            "price": 50000 + 1000 * (p % 13), "currency": "INR", "sizes": ["M", "L"],
            "colours": ["Blue"], "is_active": True, "in_stock": True, "rating_count": p % 5})
    return items


def test_the_rules_drop_bought_and_unavailable_products_and_keep_every_prefix_diverse():
    category_of = {p: ("a" if p < 30 else "b" if p < 40 else "c") for p in range(60)}
    picked = rules.pick(list(range(60)), 20, category_of, allowed=set(range(60)) - {1},
                        exclude={0})
    assert 0 not in picked and 1 not in picked and len(picked) == 20
    for n in range(1, 21):
        prefix = [category_of[p] for p in picked[:n]]
        assert max(prefix.count(c) for c in "abc") <= rules.category_cap(n), prefix
    assert rules.pick(list(range(5)), 10, {p: "a" for p in range(5)}) == [0, 1, 2, 3, 4]


def test_an_order_is_bought_when_paid_and_never_when_cancelled():
    created = {"type": "order.created", "data": {"order_id": 7, "user_id": 3, "items": [
        {"product_id": 5}, {"product_id": 2}, {"product_id": 5}]}}
    assert purchases._facts(created)["product_ids"] == [2, 5]
    assert purchases._facts(created)["paid"] is False
    paid = {"type": "order.payment.completed", "data": {"order_id": 7, "user_id": 3}}
    assert purchases._facts(paid)["paid"] is True
    for status in ("cancelled", "payment_failed", "refunded"):
        facts = purchases._facts({"type": "order.status.updated", "data": {
            "order_id": 7, "user_id": 3, "new_status": status}})
        assert facts["cancelled"] and not facts["paid"]
    assert purchases._facts({"type": "order.status.updated", "data": {
        "order_id": 7, "user_id": 3, "new_status": "shipped"}}) is None
    assert purchases.purchase_event_id(7) == purchases.purchase_event_id(7) \
        != purchases.purchase_event_id(8)


def test_a_cached_list_is_served_only_at_the_generations_it_was_made_at():
    body = {"items": [{"product_id": 1, "name": "A\tb\nc"}, {"product_id": 2},
                      {"product_id": 3}], "model_version": 2, "strategy": "hybrid"}
    raw = recs_cache.entry(body, 4, 9)
    assert recs_cache.fresh_body(raw, "4", "9") == body
    # The gateway serves the stored text as is: the same JSON as slicing the body.
    served = recs_cache.fresh_json(raw, "4", "9", limit=1, drop={"1"})
    assert json.loads(served) == recs_cache.sliced(body, 1, {"1"})
    assert json.loads(recs_cache.fresh_json(recs_cache.entry({"items": []}, 1), 1)) == \
        {"items": []}
    assert recs_cache.fresh_json(raw, "4", "10") is None
    assert recs_cache.fresh_body('{"gen": 4, "body": {}}', "4") is None  # an older format
    assert recs_cache.fresh_body(raw, "5", "9") is None
    assert recs_cache.fresh_body(raw, "4", "10") is None
    assert [i["product_id"] for i in recs_cache.sliced(body, 2, {"1"})["items"]] == [2, 3]
    keys = recs_cache.Keys("aarya_test5:recs")
    assert keys.for_user(7) == "aarya_test5:recs:7" and keys.gen == "aarya_test5:recs:gen"


def test_a_model_survives_its_round_trip_and_folds_a_new_shopper_in():
    items = synthetic_catalog()
    index = algorithms.ItemIndex([i["product_id"] for i in items])
    content = algorithms.content_matrix(items, index)
    events = behaviour.generate(items, shoppers=150, seed=3)
    rows = [(e.user, e.product_id, e.kind, e.weight, e.day) for e in events]
    model = algorithms.fit(rows, index, behaviour.DEFAULT_DAYS, components=8)
    again = algorithms.TrainedModel.from_bytes(model.to_bytes())
    assert np.allclose(again.item_factors, model.item_factors) and again.mix == model.mix

    scorer = algorithms.Scorer(again, content, index)
    sneakers = [i["product_id"] for i in items if i["category"]["slug"] == "sneakers"][:3]
    x = np.zeros(len(index))
    x[index.columns(sneakers)] = 1.0
    scores, reasons = scorer.hybrid(sp.csr_matrix(x[None, :]))
    top = [int(index.ids[c]) for c in np.argsort(-scores[0])[:10]]
    by_id = {i["product_id"]: i for i in items}
    assert sum(by_id[p]["category"]["slug"] == "sneakers" for p in top) >= 5
    cold, cold_reasons = scorer.hybrid(sp.csr_matrix((1, len(index))))
    assert set(cold_reasons[0]) == {2}  # no history: popularity alone


def test_offline_the_hybrid_beats_popularity_on_a_time_split_hold_out():
    items = synthetic_catalog()
    index = algorithms.ItemIndex([i["product_id"] for i in items])
    content = algorithms.content_matrix(items, index)
    split = evaluation.time_split(behaviour.generate(items, shoppers=300, seed=5))
    table = evaluation.evaluate_split(split, items, index, content, 8, algorithms.DEFAULT_MIX)
    print("\n" + evaluation.format_table(table))
    assert table["hybrid"]["precision@10"] >= 1.2 * table["popularity"]["precision@10"]
    assert all(0 <= table[m]["coverage"] <= 1 for m in evaluation.MODELS)
