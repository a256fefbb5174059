"""What a signed-in shopper likes, learnt from their own views, carts and purchases.

Weights per signal: a view 1, a cart add 3, a purchase 5 (per item). Kept as rows
(user_id, kind, value, weight) in search_db; ranking reads the shopper's top values and turns
them into score multipliers. They reorder results, never filter them.
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.search.models import ShopperAffinity

VIEW, CART, PURCHASE = 1.0, 3.0, 5.0
TOP_PER_KIND = 5


def add(session, user_id, product_doc, weight, size=None):
    """Credit the product's brand and category (and the size, if one was chosen)."""
    if not user_id or not product_doc:
        return
    rows = [("brand", product_doc["brand"]["slug"]),
            ("category", product_doc["category"]["slug"])]
    if size:
        rows.append(("size", size.lower()))
    for kind, value in rows:
        stmt = insert(ShopperAffinity).values(user_id=user_id, kind=kind, value=value[:120],
                                              weight=weight)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["user_id", "kind", "value"],
            set_={"weight": ShopperAffinity.weight + weight, "updated_at": sa.func.now()}))


def profile(session, user_id):
    """{kind: {value: weight}}, the top few per kind; {} for a shopper with no history."""
    if not user_id:
        return {}
    rows = session.execute(sa.select(ShopperAffinity.kind, ShopperAffinity.value,
                                     ShopperAffinity.weight)
                           .where(ShopperAffinity.user_id == user_id)
                           .order_by(ShopperAffinity.weight.desc())).all()
    out = {}
    for kind, value, weight in rows:
        bucket = out.setdefault(kind, {})
        if len(bucket) < TOP_PER_KIND:
            bucket[value] = float(weight)
    return out


def signature(affinity):
    """A short stable text for the cache key: shoppers with the same profile share pages."""
    return ";".join(f"{k}:{v}:{round(w, 1)}" for k in sorted(affinity)
                    for v, w in sorted(affinity[k].items()))
