"""Staff writes to the catalog: products, variants and images (stock lives in inventory.py).

Only support and admin staff may call these; the gateway passes the caller as an actor dict
{user_id, role} taken from the access token, and `require_staff` checks it before anything
else is looked at. Each write and its event commit together; an edit that changes nothing
emits nothing.
"""
import re
import unicodedata

import sqlalchemy as sa

from kit.errors import Conflict, Forbidden
from services.products import catalog, events, inventory
from services.products.models import (STAFF_ROLES, Brand, Product, ProductImage,
                                      ProductVariant)
from services.products.presenters import image as image_dict
from services.products.presenters import variant as variant_dict


def require_staff(actor):
    """The actor's user id if it is support or admin staff, else Forbidden `staff_only`."""
    if (not isinstance(actor, dict) or actor.get("role") not in STAFF_ROLES
            or not isinstance(actor.get("user_id"), int) or isinstance(actor["user_id"], bool)):
        raise Forbidden("staff_only", "Only support and admin staff may change the catalog.")
    return actor["user_id"]


def slugify(text):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:200] or "product"


def _free_slug(session, base):
    taken = set(session.scalars(sa.select(Product.slug).where(
        sa.or_(Product.slug == base, Product.slug.like(f"{base}-%")))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _check_references(session, fields):
    if "brand_id" in fields and session.get(Brand, fields["brand_id"]) is None:
        raise catalog.field_error("brand_id", "Unknown brand.")
    if "category_id" in fields and not catalog.category_path(session, fields["category_id"]):
        raise catalog.field_error("category_id", "Unknown category.")


def _check_skus_free(session, skus):
    taken = session.scalars(sa.select(ProductVariant.sku).where(ProductVariant.sku.in_(skus))).all()
    if taken:
        raise Conflict("sku_taken", "Some SKUs are already in use.", {"skus": sorted(taken)})


def _new_variant(product_id, spec):
    return ProductVariant(product_id=product_id, sku=spec["sku"].upper(),
                          size=spec["size"].strip(), colour=spec["colour"].strip(),
                          price=spec["price"], inventory_count=spec["inventory_count"],
                          low_stock_threshold=spec["low_stock_threshold"],
                          is_active=spec["is_active"])


def create_product(session, outbox, fields, actor_id):
    """A product with its variants (and their opening stock) and images.

    Returns (product, stock changes) so the caller can refresh the stock cache after commit."""
    _check_references(session, fields)
    if fields["slug"] is not None:
        if session.scalar(sa.select(Product.id).where(Product.slug == fields["slug"])):
            raise Conflict("slug_taken", "That slug is already taken.", {"field": "slug"})
        slug = fields["slug"]
    else:
        slug = _free_slug(session, slugify(fields["name"]))
    if fields["variants"]:
        _check_skus_free(session, [v["sku"].upper() for v in fields["variants"]])
    product = Product(name=fields["name"].strip(), slug=slug, description=fields["description"],
                      brand_id=fields["brand_id"], category_id=fields["category_id"],
                      price=fields["price"], currency=fields["currency"],
                      is_active=fields["is_active"])
    session.add(product)
    session.flush()
    variants = [_new_variant(product.id, spec) for spec in fields["variants"]]
    images = [ProductImage(product_id=product.id, url=spec["url"], alt_text=spec["alt_text"],
                           position=spec["position"] if spec["position"] is not None else n)
              for n, spec in enumerate(fields["images"])]
    session.add_all(variants + images)
    session.flush()
    opening = inventory.record_initial_stock(session, outbox, variants, actor_id)
    outbox.add(session, events.PRODUCT_CREATED, events.product_created(
        product, session.get(Brand, product.brand_id),
        catalog.category_path(session, product.category_id), variants, images))
    return product, opening


def _apply(target, changes):
    """Set each changed attribute; return {field: {"old", "new"}} for the ones that differ."""
    diff = {}
    for field, new in changes.items():
        old = getattr(target, field)
        if old != new:
            diff[field] = {"old": old, "new": new}
            setattr(target, field, new)
    return diff


def update_product(session, outbox, product_id, changes):
    """Returns (product, diff); a price change's event carries old_price and new_price."""
    product = catalog.require_product(session, product_id, include_inactive=True, lock=True)
    _check_references(session, changes)
    if "name" in changes:
        changes = {**changes, "name": changes["name"].strip()}
    diff = _apply(product, changes)
    if diff:
        session.flush()
        outbox.add(session, events.PRODUCT_UPDATED, events.product_updated(product, diff))
    return product, diff


def add_variant(session, outbox, product_id, spec, actor_id):
    """Returns (product, variant, stock changes)."""
    product = catalog.require_product(session, product_id, include_inactive=True, lock=True)
    _check_skus_free(session, [spec["sku"].upper()])
    variant = _new_variant(product.id, spec)
    _check_combination_free(session, product.id, variant.size, variant.colour)
    session.add(variant)
    session.flush()
    opening = inventory.record_initial_stock(session, outbox, [variant], actor_id)
    outbox.add(session, events.PRODUCT_UPDATED, events.product_updated(
        product, {"variant": {"old": None, "new": _variant_event(variant, product)}},
        variant_id=variant.id))
    return product, variant, opening


def _check_combination_free(session, product_id, size, colour, exclude_id=None):
    query = sa.select(ProductVariant.id).where(
        ProductVariant.product_id == product_id,
        sa.func.lower(ProductVariant.size) == size.lower(),
        sa.func.lower(ProductVariant.colour) == colour.lower())
    if exclude_id is not None:
        query = query.where(ProductVariant.id != exclude_id)
    if session.scalar(query) is not None:
        raise Conflict("variant_exists", f"This product already has a {size} in {colour}.",
                       {"product_id": product_id, "size": size, "colour": colour})


def _variant_event(variant, product):
    data = variant_dict(variant, product)
    return {k: data[k] for k in ("id", "sku", "size", "colour", "price", "inventory_count",
                                 "low_stock_threshold", "is_active")}


def update_variant(session, outbox, variant_id, changes):
    """Size, colour, price override, threshold, active flag. Returns (product, variant, diff).

    In the event, `price` is what the shopper pays (the override or the product's price) and
    `price_override` the raw field, so a price-change feed can read `price` alone.
    """
    variant = catalog.require_variant(session, variant_id, lock=True)
    product = session.get(Product, variant.product_id)
    changes = {k: (v.strip() if k in ("size", "colour") else v) for k, v in changes.items()}
    if "size" in changes or "colour" in changes:
        _check_combination_free(session, product.id, changes.get("size", variant.size),
                                changes.get("colour", variant.colour), exclude_id=variant.id)
    old_price = variant.price if variant.price is not None else product.price
    diff = _apply(variant, changes)
    if "price" in diff:  # the column holds the override; the event speaks of the price paid
        diff["price_override"] = diff.pop("price")
        new_price = variant.price if variant.price is not None else product.price
        if new_price != old_price:
            diff["price"] = {"old": old_price, "new": new_price}
    if diff:
        session.flush()
        outbox.add(session, events.PRODUCT_UPDATED,
                   events.product_updated(product, diff, variant_id=variant.id))
    return product, variant, diff


def add_image(session, outbox, product_id, spec):
    product = catalog.require_product(session, product_id, include_inactive=True, lock=True)
    position = spec["position"]
    if position is None:
        last = sa.func.max(ProductImage.position)
        position = session.scalar(sa.select(sa.func.coalesce(last + 1, 0))
                                  .where(ProductImage.product_id == product_id))
    image = ProductImage(product_id=product_id, url=spec["url"], alt_text=spec["alt_text"],
                         position=position)
    session.add(image)
    session.flush()
    outbox.add(session, events.PRODUCT_UPDATED, events.product_updated(
        product, {"image": {"old": None, "new": image_dict(image)}}))
    return image
