"""Plain dicts the products service returns over RPC (never ORM objects, never Decimals)."""
from kit.presenters import iso


def availability(count, threshold):
    """What a shopper sees for a stock level: out_of_stock, low_stock or in_stock."""
    if count <= 0:
        return "out_of_stock"
    return "low_stock" if count <= threshold else "in_stock"


def brand(row):
    return {"id": row.id, "name": row.name, "slug": row.slug, "description": row.description,
            "logo_url": row.logo_url}


def brand_ref(row):
    return {"id": row.id, "name": row.name, "slug": row.slug}


def category_ref(row):
    return {"id": row.id, "name": row.name, "slug": row.slug}


def category_tree(rows):
    """Nest a flat list of categories into roots with `children`, each level by position."""
    nodes = {r.id: {**category_ref(r), "parent_id": r.parent_id, "children": []} for r in rows}
    roots = []
    for r in sorted(rows, key=lambda r: (r.position, r.name, r.id)):
        node = nodes[r.id]
        (nodes[r.parent_id]["children"] if r.parent_id in nodes else roots).append(node)
    return roots


def rating(product):
    return {"avg": float(product.rating_avg), "count": product.rating_count}


def product_card(product, brand_row, category_row, image_url, in_stock):
    """A product as the listing shows it."""
    return {
        "id": product.id,
        "name": product.name,
        "slug": product.slug,
        "price": product.price,
        "currency": product.currency,
        "brand": brand_ref(brand_row),
        "category": category_ref(category_row),
        "rating": rating(product),
        "image_url": image_url,
        "in_stock": bool(in_stock),
        "is_active": product.is_active,
        "created_at": iso(product.created_at),
    }


def variant(row, product):
    price = row.price if row.price is not None else product.price
    return {
        "id": row.id,
        "product_id": row.product_id,
        "sku": row.sku,
        "size": row.size,
        "colour": row.colour,
        "price": price,
        "price_override": row.price,
        "currency": product.currency,
        "inventory_count": row.inventory_count,
        "low_stock_threshold": row.low_stock_threshold,
        "availability": availability(row.inventory_count, row.low_stock_threshold),
        "is_active": row.is_active,
    }


def variant_for_sale(row, product):
    """What cart and orders need to price and check a line (get_variants).

    `is_active` is true only if both the variant and its product are on sale."""
    sellable = row.is_active and product.is_active
    return {
        "variant_id": row.id,
        "product_id": product.id,
        "product_name": product.name,
        "name": product.name,
        "product_is_active": product.is_active,
        "in_stock": sellable and row.inventory_count > 0,
        "sku": row.sku,
        "size": row.size,
        "colour": row.colour,
        "price": row.price if row.price is not None else product.price,
        "currency": product.currency,
        "inventory_count": row.inventory_count,
        "availability": (availability(row.inventory_count, row.low_stock_threshold)
                         if sellable else "unavailable"),
        "is_active": sellable,
    }


def image(row):
    return {"id": row.id, "url": row.url, "alt_text": row.alt_text, "position": row.position}


def product_detail(product, brand_row, category_path, variants, images, rating_summary):
    return {
        "id": product.id,
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "price": product.price,
        "currency": product.currency,
        "is_active": product.is_active,
        "brand": brand_ref(brand_row),
        "category": {**category_ref(category_path[-1]),
                     "path": [category_ref(c) for c in category_path]},
        "variants": [variant(v, product) for v in variants],
        "images": [image(i) for i in images],
        "rating": rating_summary,
        "in_stock": any(v.is_active and v.inventory_count > 0 for v in variants),
        "created_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
    }


def review(row):
    return {"id": row.id, "product_id": row.product_id, "user_id": row.user_id,
            "rating": row.rating, "title": row.title, "body": row.body,
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at)}


def reservation(order_ref, rows, replayed):
    """A reservation as one object: its lines share a status (they move together)."""
    rows = sorted(rows, key=lambda r: r.variant_id)
    return {
        "order_ref": order_ref,
        "status": rows[0].status,
        "items": [{"variant_id": r.variant_id, "product_id": r.product_id,
                   "quantity": r.quantity} for r in rows],
        "created_at": iso(min(r.created_at for r in rows)),
        "updated_at": iso(max(r.updated_at for r in rows)),
        "replayed": replayed,
    }
