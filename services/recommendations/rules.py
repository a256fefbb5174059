"""Business rules applied to every list we serve (and to the offline evaluation, so the
figures describe what shoppers get): only in-stock active products, never one the shopper
already bought (or that is the page's own product / already in the cart), and at most
`max_share` of any first n items from one category, so a list cut at any length is not ten
black T-shirts (lists are made at 50 and cut to the caller's limit when served)."""
import math

MAX_CATEGORY_SHARE = 0.4


def category_cap(length, max_share=MAX_CATEGORY_SHARE):
    return max(2, math.ceil(length * max_share))


def pick(ranked, limit, category_of, allowed=None, exclude=(), max_share=MAX_CATEGORY_SHARE):
    """The best `limit` of `ranked` (product ids, best first) under the rules.

    allowed: the in-stock, active product ids (None: all); exclude: bought / shown / in cart.
    Each position takes the best remaining product whose category still fits the cap of the
    list so far; when no category fits, the best remaining product fills it.
    """
    exclude = set(exclude)
    candidates = [p for p in ranked
                  if p not in exclude and (allowed is None or p in allowed)]
    if max_share >= 1.0:
        return candidates[:limit]
    chosen, per_category, taken = [], {}, set()
    start = 0
    while len(chosen) < limit and start < len(candidates):
        cap = category_cap(len(chosen) + 1, max_share)
        best = None
        for n in range(start, len(candidates)):
            p = candidates[n]
            if p in taken:
                continue
            if per_category.get(category_of.get(p), 0) < cap:
                best = p
                break
        if best is None:  # every category left is at its cap: the best of the rest
            best = next(p for p in candidates[start:] if p not in taken)
        taken.add(best)
        chosen.append(best)
        category = category_of.get(best)
        per_category[category] = per_category.get(category, 0) + 1
        while start < len(candidates) and candidates[start] in taken:
            start += 1
    return chosen
