"""Business rules applied to every list we serve (and to the offline evaluation, so the
figures describe what shoppers get): only in-stock active products, never one the shopper
already bought (or that is the page's own product / already in the cart), and at most
`max_share` of a list from one category, so a list is not ten black T-shirts."""
import math

MAX_CATEGORY_SHARE = 0.4


def category_cap(limit, max_share=MAX_CATEGORY_SHARE):
    return max(2, math.ceil(limit * max_share))


def pick(ranked, limit, category_of, allowed=None, exclude=(), max_share=MAX_CATEGORY_SHARE):
    """The best `limit` of `ranked` (product ids, best first) under the rules.

    allowed: the in-stock, active product ids (None: all); exclude: bought / shown / in cart.
    Diverse first; if the cap leaves the list short, the best of the rest fill it up.
    """
    cap = category_cap(limit, max_share)
    chosen, overflow, per_category = [], [], {}
    exclude = set(exclude)
    for product_id in ranked:
        if product_id in exclude or (allowed is not None and product_id not in allowed):
            continue
        category = category_of.get(product_id)
        if per_category.get(category, 0) >= cap:
            overflow.append(product_id)
            continue
        per_category[category] = per_category.get(category, 0) + 1
        chosen.append(product_id)
        if len(chosen) == limit:
            return chosen
    return chosen + overflow[:limit - len(chosen)]
