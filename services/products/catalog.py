"""Reading the catalog: lookups, the category tree, filtered keyset listings, product detail.

Listings show active products only. Filters combine with AND; `size`, `colour` and `in_stock`
apply to one and the same active variant ("a Medium, in stock"). Price filters and sorts use
the product's list price in minor units of its own currency (pass `currency` to restrict).
Every sort ends with the product id, so the keyset (sort value, id) is unique and a page never
repeats or skips a row, even while rows with equal sort values keep arriving.
"""
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from kit.errors import Conflict, NotFound, ValidationFailed
from services.products import cursors
from services.products.models import (Brand, Category, Product, ProductImage, ProductReview,
                                      ProductVariant)
from services.products.presenters import category_tree, product_card, product_detail

# sort name → (column, direction); the product id breaks ties in the same direction.
SORTS = {
    "newest": (Product.created_at, "desc"),
    "price_asc": (Product.price, "asc"),
    "price_desc": (Product.price, "desc"),
    "rating": (Product.rating_avg, "desc"),
    "name": (Product.name, "asc"),
}

# Unique constraints a race can still hit after our own checks → (Conflict code, field).
UNIQUE_CONFLICTS = {
    "products_slug_key": ("slug_taken", "slug"),
    "product_variants_sku_key": ("sku_taken", "sku"),
    "product_variants_product_id_size_colour_key": ("variant_exists", "size"),
    "product_reviews_product_id_user_id_key": ("review_exists", "product_id"),
}


@contextmanager
def unique_conflicts():
    """Turn a unique violation that slipped past our checks (a race) into a Conflict."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint not in UNIQUE_CONFLICTS:
            raise
        code, field = UNIQUE_CONFLICTS[constraint]
        raise Conflict(code, f"That {field} is already taken.", {"field": field}) from None


def field_error(field, message):
    return ValidationFailed("validation_failed", "Some fields are invalid.",
                            {"fields": {field: [message]}})


def product_not_found(product_id):
    return NotFound("product_not_found", f"Product {product_id} does not exist.",
                    {"product_id": product_id})


def variant_not_found(variant_ids):
    return NotFound("variant_not_found", "Some variants do not exist.",
                    {"variant_ids": sorted(variant_ids)})


# --- lookups --------------------------------------------------------------------------------

def require_product(session, product_id, include_inactive=False, lock=False):
    query = sa.select(Product).where(Product.id == product_id)
    if lock:
        query = query.with_for_update()
    product = session.scalar(query)
    if product is None or not (product.is_active or include_inactive):
        raise product_not_found(product_id)
    return product


def require_variant(session, variant_id, lock=False):
    query = sa.select(ProductVariant).where(ProductVariant.id == variant_id)
    if lock:
        query = query.with_for_update()
    variant = session.scalar(query)
    if variant is None:
        raise variant_not_found([variant_id])
    return variant


def _by_slug_or_id(model, ref):
    return model.id == ref if isinstance(ref, int) else model.slug == ref


def resolve_category(session, ref):
    category = session.scalar(sa.select(Category).where(_by_slug_or_id(Category, ref)))
    if category is None:
        raise NotFound("category_not_found", f"Category {ref} does not exist.", {"category": ref})
    return category


def resolve_brand(session, ref):
    brand = session.scalar(sa.select(Brand).where(_by_slug_or_id(Brand, ref)))
    if brand is None:
        raise NotFound("brand_not_found", f"Brand {ref} does not exist.", {"brand": ref})
    return brand


def category_with_descendants(category_id):
    """A SELECT of the category's id and every id below it (a recursive CTE)."""
    tree = sa.select(Category.id).where(Category.id == category_id).cte("subtree", recursive=True)
    child = aliased(Category)
    tree = tree.union_all(sa.select(child.id).where(child.parent_id == tree.c.id))
    return sa.select(tree.c.id)


def category_path(session, category_id):
    """The categories from the root down to `category_id` ([] if there is no such category)."""
    up = sa.select(Category.id, Category.parent_id, sa.literal(0).label("depth")) \
        .where(Category.id == category_id).cte("ancestors", recursive=True)
    parent = aliased(Category)
    up = up.union_all(sa.select(parent.id, parent.parent_id, (up.c.depth + 1))
                      .where(parent.id == up.c.parent_id))
    rows = session.execute(sa.select(Category).join(up, up.c.id == Category.id)
                           .order_by(up.c.depth.desc())).scalars().all()
    return list(rows)


def list_categories(session):
    return category_tree(session.scalars(sa.select(Category)).all())


def list_brands(session):
    return session.scalars(sa.select(Brand).order_by(Brand.name, Brand.id)).all()


# --- listing --------------------------------------------------------------------------------

def _sort_value_to_cursor(sort, value):
    if sort == "newest":
        return value.isoformat()
    if sort == "rating":
        return str(value)
    return value


def _sort_value_from_cursor(sort, value):
    try:
        if sort == "newest":
            return datetime.fromisoformat(value)
        if sort == "rating":
            return Decimal(value)
        if sort in ("price_asc", "price_desc") and isinstance(value, int) \
                and not isinstance(value, bool):
            return value
        if sort == "name" and isinstance(value, str):
            return value
    except (TypeError, ValueError, InvalidOperation):
        pass
    raise cursors.bad_cursor()


def _variant_conditions(filters):
    """Conditions on one variant of the product being listed (None when none are asked for)."""
    wanted = [ProductVariant.product_id == Product.id, ProductVariant.is_active]
    if filters["size"]:
        wanted.append(sa.func.lower(ProductVariant.size) == filters["size"].strip().lower())
    if filters["colour"]:
        wanted.append(sa.func.lower(ProductVariant.colour) == filters["colour"].strip().lower())
    if filters["in_stock"] is None and len(wanted) == 2:
        return None
    matching = sa.exists().where(*wanted)
    stocked = sa.exists().where(*wanted, ProductVariant.inventory_count > 0)
    if filters["in_stock"] is True:
        return stocked
    if filters["in_stock"] is False:
        return sa.and_(matching, ~stocked)
    return matching


def _like_pattern(text):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def listing_conditions(session, filters):
    conditions = [Product.is_active]
    if filters["category"] is not None:
        category = resolve_category(session, filters["category"])
        conditions.append(Product.category_id.in_(category_with_descendants(category.id)))
    if filters["brand"] is not None:
        conditions.append(Product.brand_id == resolve_brand(session, filters["brand"]).id)
    if filters["min_price"] is not None:
        conditions.append(Product.price >= filters["min_price"])
    if filters["max_price"] is not None:
        conditions.append(Product.price <= filters["max_price"])
    if filters["currency"]:
        conditions.append(Product.currency == filters["currency"])
    if filters["q"] and filters["q"].strip():
        conditions.append(Product.name.ilike(_like_pattern(filters["q"].strip()), escape="\\"))
    variant = _variant_conditions(filters)
    if variant is not None:
        conditions.append(variant)
    return conditions


def card_columns():
    """Product, brand, category, first image and whether any active variant is in stock."""
    image = (sa.select(ProductImage.url).where(ProductImage.product_id == Product.id)
             .order_by(ProductImage.position, ProductImage.id).limit(1).scalar_subquery())
    in_stock = sa.exists().where(ProductVariant.product_id == Product.id,
                                 ProductVariant.is_active, ProductVariant.inventory_count > 0)
    return (sa.select(Product, Brand, Category, image.label("image_url"),
                      in_stock.label("in_stock"))
            .join(Brand, Brand.id == Product.brand_id)
            .join(Category, Category.id == Product.category_id))


def list_products(session, filters):
    """One page: {"items": [card, ...], "next_cursor": str | None}."""
    column, direction = SORTS[filters["sort"]]
    query = card_columns().where(*listing_conditions(session, filters))
    if filters["cursor"]:
        after = cursors.decode(filters["cursor"], f"products:{filters['sort']}")
        if not (isinstance(after, list) and len(after) == 2 and isinstance(after[1], int)):
            raise cursors.bad_cursor()
        value = sa.literal(_sort_value_from_cursor(filters["sort"], after[0]), column.type)
        key, last = sa.tuple_(column, Product.id), sa.tuple_(value, sa.literal(after[1]))
        query = query.where(key > last if direction == "asc" else key < last)
    order = (column.asc(), Product.id.asc()) if direction == "asc" else \
        (column.desc(), Product.id.desc())
    rows = session.execute(query.order_by(*order).limit(filters["limit"] + 1)).all()
    more, rows = len(rows) > filters["limit"], rows[:filters["limit"]]
    next_cursor = None
    if more:
        last = rows[-1].Product
        next_cursor = cursors.encode(f"products:{filters['sort']}", [
            _sort_value_to_cursor(filters["sort"], getattr(last, column.key)), last.id])
    return {"items": [product_card(r.Product, r.Brand, r.Category, r.image_url, r.in_stock)
                      for r in rows],
            "next_cursor": next_cursor}


def cards_by_id(session, product_ids):
    """Cards of the active products among `product_ids`, keyed by id."""
    if not product_ids:
        return {}
    rows = session.execute(card_columns().where(Product.id.in_(product_ids), Product.is_active))
    return {r.Product.id: product_card(r.Product, r.Brand, r.Category, r.image_url, r.in_stock)
            for r in rows}


def variants_with_products(session, variant_ids):
    """(variant, product) pairs for the given ids that exist."""
    return session.execute(sa.select(ProductVariant, Product)
                           .join(Product, Product.id == ProductVariant.product_id)
                           .where(ProductVariant.id.in_(variant_ids))).all()


# --- one product ----------------------------------------------------------------------------

def rating_summary(session, product_id):
    """{"avg", "count", "histogram": {"1": n, ..., "5": n}} straight from the reviews."""
    histogram = {str(stars): 0 for stars in range(1, 6)}
    for stars, count in session.execute(
            sa.select(ProductReview.rating, sa.func.count())
            .where(ProductReview.product_id == product_id).group_by(ProductReview.rating)):
        histogram[str(stars)] = count
    total = sum(histogram.values())
    points = sum(int(stars) * count for stars, count in histogram.items())
    avg = round(points / total, 2) if total else 0.0
    return {"avg": avg, "count": total, "histogram": histogram}


def product_details(session, product_id, include_inactive=False):
    product = require_product(session, product_id, include_inactive)
    variants = session.scalars(sa.select(ProductVariant).where(
        ProductVariant.product_id == product_id).order_by(ProductVariant.id)).all()
    if not include_inactive:
        variants = [v for v in variants if v.is_active]
    images = session.scalars(sa.select(ProductImage).where(ProductImage.product_id == product_id)
                             .order_by(ProductImage.position, ProductImage.id)).all()
    return product_detail(product, session.get(Brand, product.brand_id),
                          category_path(session, product.category_id), variants, images,
                          rating_summary(session, product_id))
