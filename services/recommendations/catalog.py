"""Our projection of the catalog (catalog_items): what the models need to know of a product.

Filled from the products service (`sync` at train time, one RPC per product, a page of them in
flight at once: the demo catalog
is loaded without events) and then kept current from product_events: product.created,
product.updated and product.inventory.updated. Stock is kept per active variant, so "in stock"
means what a shopper sees: some active variant has units left.

`Snapshot` is one process's read-only view of it (item dicts, the item index, the TF-IDF
matrix), rebuilt whenever the Redis generation `recs:gen` moves.
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.recommendations import algorithms
from services.recommendations.models import CatalogItem

PAGE = 100


def row_from_detail(p):
    """A products.get_product() answer → catalog_items values."""
    path = p["category"].get("path") or [p["category"]]
    return {
        "product_id": p["id"], "name": p["name"], "slug": p["slug"],
        "description": p.get("description"),
        "brand": {k: p["brand"][k] for k in ("id", "name", "slug")},
        "category": {"id": p["category"]["id"], "name": p["category"]["name"],
                     "slug": p["category"]["slug"], "path": [c["slug"] for c in path]},
        "price": p["price"], "currency": p["currency"],
        "image_url": (p.get("images") or [{}])[0].get("url"),
        "sizes": sorted({v["size"] for v in p["variants"] if v["is_active"]}),
        "colours": sorted({v["colour"] for v in p["variants"] if v["is_active"]}),
        "stock": {str(v["id"]): v["inventory_count"] for v in p["variants"] if v["is_active"]},
        "is_active": p["is_active"],
        "rating_count": (p.get("rating") or {}).get("count", 0),
    }


def _row_from_created(d):
    """A product.created event's data → catalog_items values."""
    live = [v for v in d["variants"] if v["is_active"]]
    return {
        "product_id": d["product_id"], "name": d["name"], "slug": d["slug"],
        "description": d.get("description"), "brand": d["brand"], "category": d["category"],
        "price": d["price"], "currency": d["currency"],
        "image_url": (d.get("images") or [None])[0],
        "sizes": sorted({v["size"] for v in live}), "colours": sorted({v["colour"] for v in live}),
        "stock": {str(v["variant_id"]): v["inventory_count"] for v in live},
        "is_active": d["is_active"], "rating_count": 0,
    }


def upsert(session, values):
    stmt = insert(CatalogItem).values(**values)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["product_id"],
        set_={k: stmt.excluded[k] for k in values if k != "product_id"} | {
            "updated_at": sa.func.now()}))


def sync(session_factory, products_rpc, progress=None):
    """Copy every active product from the products service; returns how many."""
    ids, cursor = [], None
    while True:
        page = products_rpc.list_products({"limit": PAGE, "cursor": cursor})
        ids += [card["id"] for card in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    rows = []
    todo = progress(ids) if progress else ids
    batch = []
    for product_id in todo:  # PAGE calls in flight at once: the products service works them in parallel
        batch.append(products_rpc.get_product.call_async(product_id))
        if len(batch) == PAGE:
            rows += [row_from_detail(reply.result()) for reply in batch]
            batch = []
    rows += [row_from_detail(reply.result()) for reply in batch]
    with session_factory() as session, session.begin():
        for values in rows:
            upsert(session, values)
        # Products deactivated since the last sync drop out of every list.
        session.execute(sa.update(CatalogItem).where(CatalogItem.product_id.notin_(ids or [0]))
                        .values(is_active=False))
    return len(rows)


def in_stock(stock):
    return any(int(n) > 0 for n in (stock or {}).values())


def _visible(row):
    return row is not None and row.is_active and in_stock(row.stock)


def apply_product_event(session, event):
    """Project one product event; True if what a list may show changed (bump the generation)."""
    data = event["data"]
    if event["type"] == "product.created":
        upsert(session, _row_from_created(data))
        return True
    row = session.get(CatalogItem, data.get("product_id"), with_for_update=True)
    if row is None:
        return False  # not synced yet: the next sync brings it whole
    before = (_visible(row), row.name, row.price, row.image_url)
    if event["type"] == "product.inventory.updated":
        stock = dict(row.stock or {})
        if str(data["variant_id"]) in stock or data["new"] > 0:
            stock[str(data["variant_id"])] = data["new"]
        row.stock = stock
    elif event["type"] == "product.updated":
        changes = data.get("changes") or {}
        if data.get("variant_id"):
            active = changes.get("is_active")
            if active is not None and not active["new"]:
                row.stock = {k: v for k, v in (row.stock or {}).items()
                             if k != str(data["variant_id"])}
        else:
            for column in ("name", "description", "price", "currency", "is_active"):
                if column in changes:
                    setattr(row, column, changes[column]["new"])
    else:
        return False
    row.updated_at = sa.func.now()
    session.flush()
    return before != (_visible(row), row.name, row.price, row.image_url)


def item_dict(row):
    return {"product_id": row.product_id, "name": row.name, "slug": row.slug,
            "description": row.description, "brand": row.brand, "category": row.category,
            "price": row.price, "currency": row.currency, "image_url": row.image_url,
            "sizes": row.sizes, "colours": row.colours, "is_active": row.is_active,
            "in_stock": in_stock(row.stock), "rating_count": row.rating_count}


def load_items(session):
    return [item_dict(r) for r in session.scalars(sa.select(CatalogItem)
                                                  .order_by(CatalogItem.product_id))]


class Snapshot:
    """The catalog as one process sees it at generation `generation`."""

    def __init__(self, items, generation):
        self.generation = generation
        self.items = {i["product_id"]: i for i in items}
        self.index = algorithms.ItemIndex(self.items)
        self.content = algorithms.content_matrix(items, self.index) if items else None
        self.category_of = {p: i["category"]["id"] for p, i in self.items.items()}
        self.available = {p for p, i in self.items.items() if i["is_active"] and i["in_stock"]}
        self.by_rating = sorted(self.available,
                                key=lambda p: (-self.items[p]["rating_count"], p))

    def __contains__(self, product_id):
        return product_id in self.items
