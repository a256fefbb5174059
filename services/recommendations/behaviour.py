"""Shopper behaviour with hidden preferences, for offline evaluation and cold-start training.

Pure and seeded: the same catalog, shopper count and seed give the same events. Each shopper
has latent tastes the models never see — a department (Men/Women/Kids), two or three favourite
leaf categories, two favourite brands, a price band (budget/mid/premium within a category) and
a size — plus the shop-wide pull of a few best sellers, so popularity is a real baseline.
Shoppers come back in sessions over `days`; a session has an intent (mostly a favourite
category, sometimes a browse anywhere), views a few products drawn by affinity, carts some and
buys some of those (only in their size).

    events = generate(items, shoppers=2000, seed=7)   # [Event(user, product_id, kind, day)]
"""
from typing import NamedTuple

import numpy as np

from services.recommendations.algorithms import WEIGHTS

DEFAULT_DAYS = 90.0


class Event(NamedTuple):
    user: int
    product_id: int
    kind: str       # view | cart | purchase
    day: float      # days since the start of the generated period

    @property
    def weight(self):
        return WEIGHTS[self.kind]


def _when(event):
    return event[3], event[0]


def _leaf(item):
    return (item.get("category") or {}).get("id")


def _root(item):
    path = (item.get("category") or {}).get("path") or ["all"]
    return path[0]


def _price_bands(items, leaf_of):
    """0/1/2: the item's price tercile within its leaf category."""
    bands = np.zeros(len(items), dtype=np.int64)
    by_leaf = {}
    for n, leaf in enumerate(leaf_of):
        by_leaf.setdefault(leaf, []).append(n)
    for members in by_leaf.values():
        prices = np.array([items[n]["price"] for n in members], dtype=float)
        ranks = prices.argsort().argsort() / max(len(members) - 1, 1)
        for n, rank in zip(members, ranks):
            bands[n] = min(2, int(rank * 3))
    return bands


def generate(items, shoppers=2000, days=DEFAULT_DAYS, seed=7, first_user=1):
    rng = np.random.default_rng(seed)
    items = [i for i in items if i.get("is_active", True)]
    n = len(items)
    if n == 0 or shoppers <= 0:
        return []
    ids = np.array([int(i["product_id"]) for i in items])
    leaf_of = [_leaf(i) for i in items]
    root_of = [_root(i) for i in items]
    brand_of = [(i.get("brand") or {}).get("id") for i in items]
    bands = _price_bands(items, leaf_of)
    roots = sorted(set(root_of))
    leaves, brands = sorted(set(leaf_of), key=str), sorted(set(brand_of), key=str)
    leaf_code = np.array([leaves.index(x) for x in leaf_of])
    brand_code = np.array([brands.index(x) for x in brand_of])
    root_code = np.array([roots.index(x) for x in root_of])
    leaves_in = [np.unique(leaf_code[root_code == r]) for r in range(len(roots))]
    sized_in = [np.flatnonzero((root_code == r) & np.array([bool(i.get("sizes")) for i in items]))
                for r in range(len(roots))]
    size_names = sorted({s for i in items for s in i.get("sizes") or []})
    offers = {s: np.array([not i.get("sizes") or s in i["sizes"] for i in items])
              for s in size_names}
    # A few best sellers everyone is drawn to: a Zipf-like pull over a random order.
    pull = np.zeros(n)
    pull[rng.permutation(n)] = 1.6 / np.sqrt(np.arange(1, n + 1))
    everything = np.arange(n)

    events = []
    for s in range(shoppers):
        user = first_user + s
        root = int(rng.integers(len(roots)))
        fav_leaves = rng.choice(leaves_in[root], size=min(len(leaves_in[root]),
                                                           int(rng.integers(2, 4))), replace=False)
        fav_brands = rng.choice(len(brands), size=min(2, len(brands)), replace=False)
        band = int(rng.integers(3))
        sized = sized_in[root]
        size = sorted(items[sized[rng.integers(len(sized))]]["sizes"])[0] if len(sized) else None
        fav_mask = np.isin(leaf_code, fav_leaves)
        affinity = (2.2 * fav_mask + 1.4 * np.isin(brand_code, fav_brands)
                    + 0.9 * (bands == band) + 0.6 * (root_code == root) + pull)
        fits = offers[size] if size is not None else np.ones(n, dtype=bool)
        favourites = np.flatnonzero(fav_mask)
        cart_chance = 1.0 / (1.0 + np.exp(-(affinity - 3.2)))
        for _ in range(1 + int(rng.poisson(5))):
            start = float(rng.uniform(0, days))
            pool = favourites if rng.random() < 0.75 else everything
            p = np.exp(1.5 * (affinity[pool] - affinity[pool].max()))
            p /= p.sum()
            looks = min(len(pool), int(rng.integers(3, 7)))
            picked = rng.choice(pool, size=looks, replace=False, p=p)
            rolls = rng.random((looks, 2))
            for step, k in enumerate(picked):
                day = start + step * 0.01
                product_id = int(ids[k])
                events.append(Event(user, product_id, "view", day))
                if rolls[step, 0] < cart_chance[k]:
                    events.append(Event(user, product_id, "cart", day + 0.002))
                    if fits[k] and rolls[step, 1] < 0.55:
                        events.append(Event(user, product_id, "purchase", day + 0.004))
    events.sort(key=_when)
    return events
