"""The events the products service emits (through its outbox) and the shape of each `data`.

product.created            {product_id, name, slug, description, price, currency, is_active,
                            brand{id,name,slug}, category{id,name,slug,path[slugs]},
                            variants[{variant_id, sku, size, colour, price, inventory_count,
                            is_active}], images[url]}
product.updated            {product_id, variant_id|null, changes{field: {old, new}},
                            currency, and when a price changed: old_price, new_price}
product.inventory.updated  {product_id, variant_id, sku, old, new, delta, status,
                            previous_status, low_stock_threshold, reason, order_ref|null}
product.viewed             {product_id, user_id|null, session_id|null, viewed_at}
product.reviewed           {action: created|updated, review_id, product_id, user_id, rating,
                            title, rating_avg, rating_count}

`status` of an inventory change is what a stock alert needs: out_of_stock (now 0),
back_in_stock (was 0, now more), low_stock (now at or under the variant's low_stock_threshold),
in_stock (above it). `previous_status` is the level before (out_of_stock/low_stock/in_stock), so
a consumer can tell a threshold crossing from a change within one level.
"""
from services.products.presenters import availability, iso

PRODUCT_CREATED = "product.created"
PRODUCT_UPDATED = "product.updated"
INVENTORY_UPDATED = "product.inventory.updated"
PRODUCT_VIEWED = "product.viewed"
PRODUCT_REVIEWED = "product.reviewed"


def stock_status(old, new, threshold):
    if new <= 0:
        return "out_of_stock"
    if old <= 0:
        return "back_in_stock"
    return "low_stock" if new <= threshold else "in_stock"


def product_created(product, brand, category_path, variants, images):
    return {
        "product_id": product.id,
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "price": product.price,
        "currency": product.currency,
        "is_active": product.is_active,
        "brand": {"id": brand.id, "name": brand.name, "slug": brand.slug},
        "category": {"id": category_path[-1].id, "name": category_path[-1].name,
                     "slug": category_path[-1].slug, "path": [c.slug for c in category_path]},
        "variants": [{"variant_id": v.id, "sku": v.sku, "size": v.size, "colour": v.colour,
                      "price": v.price if v.price is not None else product.price,
                      "inventory_count": v.inventory_count, "is_active": v.is_active}
                     for v in variants],
        "images": [i.url for i in images],
    }


def product_updated(product, changes, variant_id=None):
    data = {"product_id": product.id, "variant_id": variant_id, "currency": product.currency,
            "changes": changes}
    if "price" in changes:
        data["old_price"] = changes["price"]["old"]
        data["new_price"] = changes["price"]["new"]
    return data


def inventory_updated(change):
    return {
        "product_id": change.product_id,
        "variant_id": change.variant_id,
        "sku": change.sku,
        "old": change.old,
        "new": change.new,
        "delta": change.new - change.old,
        "status": stock_status(change.old, change.new, change.threshold),
        "previous_status": availability(change.old, change.threshold),
        "low_stock_threshold": change.threshold,
        "reason": change.reason,
        "order_ref": change.order_ref,
    }


def product_viewed(view):
    return {"product_id": view.product_id, "user_id": view.user_id,
            "session_id": view.session_id, "viewed_at": iso(view.viewed_at)}


def product_reviewed(review, product, action):
    return {"action": action, "review_id": review.id, "product_id": review.product_id,
            "user_id": review.user_id, "rating": review.rating, "title": review.title,
            "rating_avg": float(product.rating_avg), "rating_count": product.rating_count}
