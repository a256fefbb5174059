"""What goes into each index, built from the owners' own RPC answers (the truth), never from
an event's partial data: an event only says *which* document to rebuild, so replays, reorderings
and a reindex racing live updates all converge on what products_db (users_db, orders_db) holds."""


def product_doc(product, popularity=0):
    """products.get_product(include_inactive=True) → the products document (None: not listed)."""
    if not product.get("is_active", True):
        return None
    active = [v for v in product.get("variants", []) if v.get("is_active", True)]
    if not active:
        return None
    path = product["category"].get("path", [])
    sizes = _unique(v["size"] for v in active)
    colours = _unique(v["colour"] for v in active)
    images = product.get("images") or []
    rating = product.get("rating") or {}
    return {
        "product_id": product["id"],
        "name": product["name"],
        "slug": product["slug"],
        "description": product.get("description") or "",
        "all_text": " ".join([product["name"], product.get("description") or ""]),
        "brand": {"id": product["brand"]["id"], "slug": product["brand"]["slug"],
                  "name": product["brand"]["name"]},
        "category": {"id": product["category"]["id"], "slug": product["category"]["slug"],
                     "name": product["category"]["name"],
                     "path": [c["slug"] if isinstance(c, dict) else c for c in path],
                     "names": [c["name"] for c in path if isinstance(c, dict)]},
        "price": min(v["price"] for v in active),
        "list_price": product["price"],
        "currency": product["currency"],
        "sizes": [s.lower() for s in sizes],
        "colours": [c.lower() for c in colours],
        "size_labels": {s.lower(): s for s in sizes},
        "colour_labels": {c.lower(): c for c in colours},
        "variants": [{"variant_id": v["id"], "sku": v["sku"], "size": v["size"],
                      "colour": v["colour"], "price": v["price"],
                      "inventory_count": v["inventory_count"],
                      "in_stock": v["inventory_count"] > 0} for v in active],
        "in_stock": any(v["inventory_count"] > 0 for v in active),
        "rating_avg": float(rating.get("avg") or 0),
        "rating_count": int(rating.get("count") or 0),
        "popularity": int(popularity),
        "image_url": (images[0]["url"] if images and isinstance(images[0], dict)
                      else images[0] if images else None),
        "created_at": product.get("created_at"),
        "updated_at": product.get("updated_at"),
        "name_suggest": {"input": name_inputs(product["name"]),
                         "weight": max(1, min(int(popularity) + 1, 2 ** 31 - 1))},
    }


def user_doc(user):
    return {
        "user_id": user["id"],
        "username": user["username"],
        "full_name": user.get("full_name") or "",
        "bio": user.get("bio"),
        "location": user.get("location"),  # users_db has no location column yet
        "role": user.get("role") or "customer",
        "is_active": bool(user.get("is_active", True)),
        "created_at": user.get("created_at"),
    }


def order_doc(order):
    items = order.get("items") or []
    return {
        "order_id": order["id"],
        "order_ref": order.get("order_ref"),
        "user_id": order["user_id"],
        "status": order["status"],
        "product_names": [i.get("name") for i in items if i.get("name")],
        "skus": [i.get("sku") for i in items if i.get("sku")],
        "total_amount": order.get("total_amount"),
        "currency": order.get("currency"),
        "created_at": order.get("created_at"),
    }


def suggestion_doc(query, frequency, category=None):
    return {"query": query, "frequency": frequency, "category": category,
            "suggest": {"input": [query], "weight": max(1, min(frequency, 2 ** 31 - 1))}}


def name_inputs(name):
    """The name from each word on ("Qutub Denim Skinny Jeans", "Denim Skinny Jeans", …), so
    typing any word of it (no edge_ngram in the core analyzers) completes the product."""
    words = name.split()
    return [" ".join(words[i:]) for i in range(min(len(words), 6)) if len(words[i]) > 1]


def _unique(values):
    seen, out = set(), []
    for v in values:
        if v.lower() not in seen:
            seen.add(v.lower())
            out.append(v)
    return out
