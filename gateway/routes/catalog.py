"""/api/products, /api/variants, /api/categories, /api/brands, /api/reviews: the catalog.

Shoppers browse without signing in (a token, if sent, must be valid; it names the viewer of a
product page). Product pages, listings, trending, categories and brands are served from the
response cache (gateway.catalog_cache) with ETags; `Cache-Control: no-cache` on the request
skips the cache read. Staff (support, admin) change products, variants, images and stock; the
actor the products service checks is built from the token, never from the body. Reviews are
written by signed-in shoppers and edited by their author only.

The products service validates every field and says which one is wrong; the gateway itself
only parses the query string (numbers, booleans) and answers 422 naming the parameter.
"""
from flask import Blueprint, request

from gateway import catalog_cache, product_views, round_trip
from gateway.auth import require_role, require_user
from gateway.params import json_object, query_int
from gateway.rpc import rpc
from gateway.shopper import guest_session_id, signed_in_or_none
from kit.errors import NotFound, ValidationFailed

bp = Blueprint("catalog", __name__, url_prefix="/api")

STAFF_ROLES = ("support", "admin")
MAX_ID = 2 ** 63 - 1          # BIGINT: a larger id cannot exist
MAX_PRICE = 10 ** 12          # the products service's own bound
PAGE_DEFAULT, PAGE_MAX = 24, 100
TEXT_FILTERS = ("category", "brand", "currency", "size", "colour", "q", "sort", "cursor")
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")
LISTING_TTL_S = catalog_cache.PRODUCT_TTL_S
TRENDING_TTL_S = 30           # views move trending without an invalidating event
TAXONOMY_TTL_S = 300          # categories and brands change without an event (no RPC yet)


def staff_actor():
    """The caller as the products service's `actor`: 403 unless support or admin staff."""
    me = require_role(*STAFF_ROLES)
    return {"user_id": me.user_id, "role": me.role}


def existing_id(kind, value):
    """Ids outside BIGINT cannot exist: 404 without asking the service."""
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"{kind}_not_found", f"{kind.capitalize()} {value} does not exist.",
                       {f"{kind}_id": value})
    return value


class QueryProblems:
    """Collects every bad query parameter, so one 422 names them all."""

    def __init__(self):
        self.fields = {}

    def take(self, read, *args, **kwargs):
        try:
            return read(*args, **kwargs)
        except ValidationFailed as exc:
            self.fields.update(exc.details.get("fields", {}))
            return None

    def raise_any(self):
        if self.fields:
            raise ValidationFailed("validation_failed", "Some query parameters are invalid.",
                                   {"fields": self.fields})


def query_bool(name):
    raw = request.args.get(name, "").strip().lower()
    if not raw:
        return None
    if raw in TRUE or raw in FALSE:
        return raw in TRUE
    raise ValidationFailed("validation_failed", "Some query parameters are invalid.",
                           {"fields": {name: ["Not a valid boolean (true or false)."]}})


def listing_filters():
    """The list_products filters from the query string, normalised (so equal questions share
    a cache entry); unknown parameters are ignored."""
    problems = QueryProblems()
    filters = {name: request.args[name].strip() for name in TEXT_FILTERS
               if request.args.get(name, "").strip()}
    for name in ("min_price", "max_price"):
        value = problems.take(query_int, name, minimum=0, maximum=MAX_PRICE)
        if value is not None:
            filters[name] = value
    in_stock = problems.take(query_bool, "in_stock")
    if in_stock is not None:
        filters["in_stock"] = in_stock
    filters["limit"] = problems.take(query_int, "limit", default=PAGE_DEFAULT, minimum=1,
                                     maximum=PAGE_MAX)
    problems.raise_any()
    filters.setdefault("sort", "newest")
    return filters


def page_limit(default=20):
    return query_int("limit", default=default, minimum=1, maximum=PAGE_MAX)


# ---- browsing ------------------------------------------------------------------------------

def _rides(kind, params_of):
    """A listing's cache reads ride in the rate limiter's round trip (gateway/round_trip.py).
    Bad parameters ride nothing: the view answers them with its 422."""
    def rider(pipe, view_args):
        try:
            params = params_of()
        except ValidationFailed:
            return lambda replies: None
        return catalog_cache.queue_listing_reads(pipe, kind, params)
    return rider


def _trending_params():
    return {"limit": query_int("limit", default=10, minimum=1, maximum=PAGE_MAX)}


@bp.get("/products")
def list_products():
    signed_in_or_none()
    filters = listing_filters()
    bypass = catalog_cache.bypass_requested()
    return catalog_cache.respond(
        catalog_cache.lookup_listing("products", filters, LISTING_TTL_S, bypass),
        lambda: rpc("products").list_products(filters), bypass)


@bp.get("/products/trending")
def trending():
    signed_in_or_none()
    params = _trending_params()
    bypass = catalog_cache.bypass_requested()
    return catalog_cache.respond(
        catalog_cache.lookup_listing("trending", params, TRENDING_TTL_S, bypass),
        lambda: {"items": rpc("products").get_trending(params["limit"])}, bypass)


@bp.get("/products/<int:product_id>")
def get_product(product_id):
    viewer = signed_in_or_none()
    existing_id("product", product_id)
    bypass = catalog_cache.bypass_requested()
    response = catalog_cache.respond(
        catalog_cache.lookup_product(product_id, bypass),
        lambda: rpc("products").get_product(product_id), bypass)
    product_views.record(product_id, viewer.user_id if viewer else None, guest_session_id())
    return response


@bp.get("/categories")
def categories():
    signed_in_or_none()
    bypass = catalog_cache.bypass_requested()
    return catalog_cache.respond(
        catalog_cache.lookup_listing("categories", {}, TAXONOMY_TTL_S, bypass),
        lambda: {"items": rpc("products").list_categories()}, bypass)


@bp.get("/brands")
def brands():
    signed_in_or_none()
    bypass = catalog_cache.bypass_requested()
    return catalog_cache.respond(
        catalog_cache.lookup_listing("brands", {}, TAXONOMY_TTL_S, bypass),
        lambda: {"items": rpc("products").list_brands()}, bypass)


round_trip.rides_with("catalog.list_products")(_rides("products", listing_filters))
round_trip.rides_with("catalog.trending")(_rides("trending", _trending_params))
round_trip.rides_with("catalog.categories")(_rides("categories", dict))
round_trip.rides_with("catalog.brands")(_rides("brands", dict))


@bp.get("/system/ping")
def ping():
    """One no-op round trip to the products service: a check for ops, a baseline for bench/."""
    signed_in_or_none()
    return {"products": rpc("products").ping()}


# ---- reviews -------------------------------------------------------------------------------

@bp.get("/products/<int:product_id>/reviews")
def list_reviews(product_id):
    signed_in_or_none()
    existing_id("product", product_id)
    cursor = request.args.get("cursor") or None
    return rpc("products").list_reviews(product_id, cursor=cursor, limit=page_limit())


@bp.post("/products/<int:product_id>/reviews")
def add_review(product_id):
    me = require_user()
    existing_id("product", product_id)
    body = json_object()
    review = rpc("products").add_review(me.user_id, product_id, body.get("rating"),
                                        body.get("title"), body.get("body"))
    return review, 201


@bp.patch("/reviews/<int:review_id>")
def update_review(review_id):
    me = require_user()
    existing_id("review", review_id)
    return rpc("products").update_review(me.user_id, review_id, json_object())


# ---- staff: products, variants, images -----------------------------------------------------

@bp.post("/products")
def create_product():
    actor = staff_actor()
    product = rpc("products").create_product(actor, json_object())
    return product, 201, {"Location": f"/api/products/{product['id']}"}


@bp.patch("/products/<int:product_id>")
def update_product(product_id):
    actor = staff_actor()
    existing_id("product", product_id)
    return rpc("products").update_product(actor, product_id, json_object())


@bp.post("/products/<int:product_id>/deactivate")
def deactivate_product(product_id):
    actor = staff_actor()
    existing_id("product", product_id)
    return rpc("products").deactivate_product(actor, product_id)


@bp.post("/products/<int:product_id>/variants")
def add_variant(product_id):
    actor = staff_actor()
    existing_id("product", product_id)
    return rpc("products").add_variant(actor, product_id, json_object()), 201


@bp.patch("/variants/<int:variant_id>")
def update_variant(variant_id):
    actor = staff_actor()
    existing_id("variant", variant_id)
    return rpc("products").update_variant(actor, variant_id, json_object())


@bp.post("/products/<int:product_id>/images")
def add_image(product_id):
    actor = staff_actor()
    existing_id("product", product_id)
    return rpc("products").add_image(actor, product_id, json_object()), 201


# ---- staff: stock --------------------------------------------------------------------------

@bp.put("/variants/<int:variant_id>/stock")
def set_stock(variant_id):
    """A shelf count: the variant now has exactly `quantity` units."""
    actor = staff_actor()
    existing_id("variant", variant_id)
    body = json_object()
    return rpc("products").set_stock(actor, variant_id, body.get("quantity"), body.get("reason"))


@bp.post("/variants/<int:variant_id>/stock-adjustments")
def adjust_stock(variant_id):
    """A delivery (+delta) or a write-off (-delta)."""
    actor = staff_actor()
    existing_id("variant", variant_id)
    body = json_object()
    return rpc("products").adjust_stock(actor, variant_id, body.get("delta"), body.get("reason"))
