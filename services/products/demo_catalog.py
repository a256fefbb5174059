"""Load a realistic apparel demo catalog: `python -m services.products.demo_catalog --env dev`.

About 520 products and 3,000 variants (sizes × colours) under a Men/Women/Kids category tree,
30 brands, 2-4 image URLs per product, ~5,000 reviews by user ids 1..1500 (no real users are
needed) and the opening stock of every variant in the ledger. The same seed gives the same
catalog, row for row.

Safe to re-run: everything is keyed by slug or SKU and inserted with ON CONFLICT DO NOTHING,
inside one transaction under an advisory lock, so a second run (or two at once) adds nothing
and a crash leaves nothing half-loaded. Children (variants, images, reviews) are only made for
products this run inserted.

No outbox events: a bulk load would flood the streams with thousands of product.created and
product.inventory.updated entries nobody needs. Consumers that index the catalog (search,
recommendations) rebuild from the products service with their own reindex command instead.
Redis caches are left alone for the same reason; they fill as the shop is used.
"""
import argparse
import random
import sys
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from tqdm import tqdm

from kit.config import load_config
from kit.db import make_engine
from services.products.demo_catalog_data import (BRANDS, COLOURS, MATERIALS, REVIEW_LINES,
                                                 SHOE_MATERIALS, SIZES, TREE)
from services.products.inventory import INITIAL_STOCK
from services.products.merchandising import slugify
from services.products.models import (Brand, Category, InventoryLog, Product, ProductImage,
                                      ProductReview, ProductVariant)

SEED = 2026
PRODUCTS = 520
REVIEWERS = 1500
ANCHOR = datetime(2025, 11, 1, tzinfo=timezone.utc)  # created_at dates count back from here
LOCK_KEY = "products_demo_catalog"
CHUNK = 500


def _price(rng, low, high):
    """A shop price in paise: whole rupees in [low, high] ending in 99 or 49."""
    rupees = rng.randint(low, high) // 100 * 100 + rng.choice([99, 99, 49])
    while rupees > high:
        rupees -= 50
    return max(rupees, low) * 100


def build_catalog(seed=SEED, products=PRODUCTS, reviewers=REVIEWERS):
    """The whole catalog as plain rows keyed by slug/sku (no ids yet). Pure and deterministic."""
    rng = random.Random(seed)
    categories, leaves = [], []
    for r, (root, sections) in enumerate(TREE.items()):
        root_slug = slugify(root)
        categories.append({"name": root, "slug": root_slug, "parent": None, "position": r})
        for s, (section, leaf_specs) in enumerate(sections.items()):
            section_slug = f"{root_slug}-{slugify(section)}"
            categories.append({"name": section, "slug": section_slug, "parent": root_slug,
                               "position": s})
            for n, spec in enumerate(leaf_specs):
                leaf_slug = f"{section_slug}-{slugify(spec[0])}"
                categories.append({"name": spec[0], "slug": leaf_slug, "parent": section_slug,
                                   "position": n})
                leaves.append((leaf_slug, root) + spec[1:])
    brands = [{"name": name, "slug": slugify(name),
               "description": f"{name}: everyday apparel, designed in India.",
               "logo_url": f"https://cdn.aarya.example/brands/{slugify(name)}.png"}
              for name in BRANDS]

    rows = {"categories": categories, "brands": brands, "products": [], "variants": [],
            "images": [], "reviews": []}
    slugs = set()
    for index in range(products):
        leaf_slug, root, size_kind, (low, high), nouns, styles = leaves[index % len(leaves)]
        brand = rng.choice(brands)
        noun = rng.choice(nouns)
        material = rng.choice(SHOE_MATERIALS if "shoe" in size_kind else MATERIALS)
        style = rng.choice(styles)
        if material.split()[-1] in noun or style in SHOE_MATERIALS + MATERIALS:
            material = ""  # no "Denim Denim Shorts", no "Leather Canvas Shoes"
        name = " ".join(w for w in (brand["name"], style, material, noun) if w)
        if root == "Kids":
            wearer = "Boys" if "boys" in leaf_slug else "Girls" if "girls" in leaf_slug else "Kids"
            name = f"{name} for {wearer}"
        slug = base = slugify(name)
        n = 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        created = ANCHOR - timedelta(seconds=rng.randint(0, 300 * 24 * 3600))
        price = _price(rng, low, high)
        rows["products"].append({
            "slug": slug, "name": name, "brand": brand["slug"], "category": leaf_slug,
            "price": price, "currency": "INR", "created_at": created, "updated_at": created,
            "description": f"{name}. {rng.choice(MATERIALS)} lining, easy care; "
                           f"machine wash cold. Model wears size "
                           f"{rng.choice(SIZES[size_kind])}.",
        })
        sizes = SIZES[size_kind]
        run = min(len(sizes), rng.randint(2, 4))
        start = rng.randint(0, len(sizes) - run)
        colours = rng.sample(COLOURS, rng.choices([1, 2, 3], weights=[30, 45, 25])[0])
        for colour in colours:
            for size in sizes[start:start + run]:
                roll = rng.random()
                # 12% sold out, 15% running low, the rest on the shelf
                stock = (0 if roll < 0.12 else rng.randint(1, 5) if roll < 0.27
                         else rng.randint(6, 80))
                bigger = size in ("XXL", "38", "UK 11")
                rows["variants"].append({
                    "product": slug,
                    "sku": (f"AAR-{index + 1:04d}-{slugify(colour)[:6].upper()}-"
                            f"{slugify(size).upper()}"),
                    "size": size, "colour": colour,
                    # some big sizes cost 10% more (rounded to the rupee)
                    "price": (price + price // 10 // 100 * 100
                              if bigger and rng.random() < 0.5 else None),
                    "inventory_count": stock, "low_stock_threshold": 5,
                })
        for n in range(rng.randint(2, 4)):
            rows["images"].append({"product": slug, "position": n,
                                   "url": f"https://cdn.aarya.example/catalog/{slug}/{n + 1}.jpg",
                                   "alt_text": f"{name}, view {n + 1}"})
        quality = rng.uniform(2.6, 4.9)
        how_many = rng.choice([0, 2, 5, 8, 10, 12, 15, 20])
        for user_id in rng.sample(range(1, reviewers + 1), how_many):
            stars = max(1, min(5, round(rng.gauss(quality, 0.9))))
            title, body = rng.choice(REVIEW_LINES[stars])
            rows["reviews"].append({"product": slug, "user_id": user_id, "rating": stars,
                                    "title": title, "body": body,
                                    "created_at": created + timedelta(days=rng.randint(1, 60))})
    return rows


def _chunks(items, size=CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert(conn, table, rows, conflict, returning, bar):
    """Multi-row INSERTs in chunks (ON CONFLICT DO NOTHING on `conflict`); returns the
    RETURNING rows, i.e. only what this call inserted."""
    inserted = []
    for chunk in _chunks(rows):
        stmt = insert(table).values(chunk)
        if conflict:
            stmt = stmt.on_conflict_do_nothing(index_elements=conflict)
        if returning:
            inserted += conn.execute(stmt.returning(*returning)).all()
        else:
            conn.execute(stmt)
        bar.update(len(chunk))
    return inserted


def load(engine, seed=SEED, products=PRODUCTS, progress=True):
    """Load the demo catalog; returns counts of what this run inserted."""
    data = build_catalog(seed, products)
    total = sum(len(v) for v in data.values()) + len(data["variants"])  # + ledger rows
    categories, brands = Category.__table__, Brand.__table__
    product_t, variant_t = Product.__table__, ProductVariant.__table__
    counts = dict.fromkeys(("categories", "brands", "products", "variants", "images", "reviews",
                            "inventory_logs"), 0)
    with engine.begin() as conn, tqdm(total=total, unit="rows", desc="demo catalog",
                                      disable=not progress) as bar:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": LOCK_KEY})

        # The tree goes in level by level: a child needs its parent's id.
        category_ids = {}
        pending = data["categories"]
        while pending:
            level = [c for c in pending if c["parent"] is None or c["parent"] in category_ids]
            counts["categories"] += len(_insert(conn, categories, [
                {"name": c["name"], "slug": c["slug"], "position": c["position"],
                 "parent_id": category_ids.get(c["parent"])} for c in level],
                ["slug"], [categories.c.id], bar))
            category_ids.update(conn.execute(sa.select(categories.c.slug, categories.c.id).where(
                categories.c.slug.in_([c["slug"] for c in level]))).all())
            pending = [c for c in pending if c["slug"] not in category_ids]

        counts["brands"] = len(_insert(conn, brands, data["brands"], ["slug"], [brands.c.id], bar))
        brand_ids = dict(conn.execute(sa.select(brands.c.slug, brands.c.id).where(
            brands.c.slug.in_([b["slug"] for b in data["brands"]]))).all())

        new_products = dict(_insert(conn, product_t, [
            {**{k: v for k, v in p.items() if k not in ("brand", "category")},
             "brand_id": brand_ids[p["brand"]], "category_id": category_ids[p["category"]]}
            for p in data["products"]], ["slug"], [product_t.c.slug, product_t.c.id], bar))
        counts["products"] = len(new_products)

        def ours(rows):
            return [{**{k: v for k, v in r.items() if k != "product"},
                     "product_id": new_products[r["product"]]}
                    for r in rows if r["product"] in new_products]

        variants = _insert(conn, variant_t, ours(data["variants"]), ["sku"],
                           [variant_t.c.id, variant_t.c.product_id, variant_t.c.inventory_count],
                           bar)
        counts["variants"] = len(variants)
        ledger = [{"variant_id": v.id, "product_id": v.product_id, "old_quantity": 0,
                   "new_quantity": v.inventory_count, "delta": v.inventory_count,
                   "reason": INITIAL_STOCK} for v in variants if v.inventory_count > 0]
        _insert(conn, InventoryLog.__table__, ledger, None, None, bar)
        counts["inventory_logs"] = len(ledger)
        images = ours(data["images"])
        _insert(conn, ProductImage.__table__, images, None, None, bar)
        counts["images"] = len(images)
        counts["reviews"] = len(_insert(conn, ProductReview.__table__, ours(data["reviews"]),
                                        ["product_id", "user_id"],
                                        [ProductReview.__table__.c.id], bar))
        if new_products:
            conn.execute(sa.text("""
                UPDATE products p SET rating_avg = r.avg, rating_count = r.n
                FROM (SELECT product_id, round(avg(rating), 2) AS avg, count(*) AS n
                      FROM product_reviews WHERE product_id = ANY(:ids) GROUP BY product_id) r
                WHERE p.id = r.product_id"""), {"ids": list(new_products.values())})
        bar.update(total - bar.n)
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description="Load the demo apparel catalog (idempotent).")
    parser.add_argument("--env", default=None, help="config/<env>.yaml (default $AARYA_ENV or dev)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--products", type=int, default=PRODUCTS)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    engine = make_engine(load_config(args.env)["DB_URIS"]["products"], pool_size=1)
    started = time.perf_counter()
    try:
        counts = load(engine, args.seed, args.products, progress=not args.quiet)
    finally:
        engine.dispose()
    elapsed = time.perf_counter() - started
    if not counts["products"]:
        print(f"demo catalog already loaded; nothing to do ({elapsed:.1f}s)")
    else:
        print("demo catalog loaded in {:.1f}s: {}".format(
            elapsed, ", ".join(f"{v} {k}" for k, v in counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
