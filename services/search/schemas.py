"""What the search RPCs accept: one function per request shape, each returning clean values or
raising ValidationFailed with a stable code (the gateway turns it into a 422 naming the field).

Codes: empty_query, query_too_long, unknown_filter, invalid_price_range, limit_too_large,
invalid_cursor, validation_failed.
"""
import base64
import hashlib
import json

from marshmallow import Schema, fields, validate

from kit.errors import ValidationFailed
from kit.schemas import RefOut

SORTS = ("relevance", "price_asc", "price_desc", "newest", "popularity")
LIST_FILTERS = ("brand", "size", "colour")
FILTERS = ("category", "brand", "size", "colour", "min_price", "max_price", "in_stock",
           "min_rating")
PARAMS = ("q", "sort", "limit", "cursor") + FILTERS
MAX_PRICE = 10 ** 12
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


def _fail(code, message, field, problem):
    raise ValidationFailed(code, message, {"fields": {field: [problem]}})


def query_text(raw, settings, required):
    q = " ".join(str(raw or "").split())
    if not q:
        if required:
            _fail("empty_query", "Type something to search for.", "q", "Must not be empty.")
        return ""
    if len(q) > settings.max_query_length:
        _fail("query_too_long", f"Queries are at most {settings.max_query_length} characters.",
              "q", f"Longer than {settings.max_query_length} characters.")
    return q


def _one(params, name):
    value = params.get(name)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _many(params, name):
    value = params.get(name)
    values = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for v in values:
        for part in str(v or "").split(","):
            if part.strip():
                out.append(part.strip().lower())
    return sorted(set(out))


def _int(params, name, minimum, maximum):
    raw = _one(params, name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        _fail("validation_failed", "Some parameters are invalid.", name, "Not a valid integer.")
    if not minimum <= value <= maximum:
        _fail("validation_failed", "Some parameters are invalid.", name,
              f"Must be between {minimum} and {maximum}.")
    return value


def limit(params, default, maximum):
    raw = _one(params, "limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        _fail("validation_failed", "Some parameters are invalid.", "limit", "Not a valid integer.")
    if value > maximum:
        _fail("limit_too_large", f"At most {maximum} results per page.", "limit",
              f"At most {maximum}.")
    if value < 1:
        _fail("validation_failed", "Some parameters are invalid.", "limit", "At least 1.")
    return value


def search_request(params, settings):
    """Raw parameters (strings or lists of strings, e.g. a query string) → a clean request."""
    params = dict(params or {})
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise ValidationFailed("unknown_filter", f"Unknown parameter(s): {', '.join(unknown)}.",
                               {"fields": {u: ["Unknown filter."] for u in unknown},
                                "allowed": list(PARAMS)})
    request = {"q": query_text(_one(params, "q"), settings, required=False), "filters": {}}
    filters = request["filters"]
    if _one(params, "category"):
        filters["category"] = _one(params, "category").lower()
    for name in LIST_FILTERS:
        if _many(params, name):
            filters[name] = _many(params, name)
    for name in ("min_price", "max_price"):
        value = _int(params, name, 0, MAX_PRICE)
        if value is not None:
            filters[name] = value
    if filters.get("min_price") is not None and filters.get("max_price") is not None \
            and filters["min_price"] > filters["max_price"]:
        _fail("invalid_price_range", "min_price is above max_price.", "max_price",
              "Must not be below min_price.")
    raw = _one(params, "in_stock")
    if raw is not None:
        if raw.lower() not in TRUE + FALSE:
            _fail("validation_failed", "Some parameters are invalid.", "in_stock",
                  "Not a valid boolean (true or false).")
        filters["in_stock"] = raw.lower() in TRUE
    raw = _one(params, "min_rating")
    if raw is not None:
        try:
            rating = float(raw)
        except ValueError:
            rating = -1
        if not 0 <= rating <= 5:
            _fail("validation_failed", "Some parameters are invalid.", "min_rating",
                  "A number from 0 to 5.")
        filters["min_rating"] = rating
    sort = (_one(params, "sort") or "relevance").lower()
    if sort not in SORTS:
        _fail("validation_failed", "Some parameters are invalid.", "sort",
              f"One of {', '.join(SORTS)}.")
    request["sort"] = sort
    request["limit"] = limit(params, 24, settings.page_max)
    request["cursor"] = _one(params, "cursor")
    return request


def fingerprint(request, user_key=""):
    """A stable hash of what was asked (not the cursor): the cache key and the cursor's seal."""
    basis = {k: request[k] for k in ("q", "filters", "sort", "limit")}
    basis["u"] = user_key
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:32]


def encode_cursor(seal, after):
    raw = json.dumps({"h": seal[:12], "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor, seal):
    """The search_after values of a cursor made for this same question, else invalid_cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = json.loads(raw)
        after = body["a"]
        ok = body["h"] == seal[:12] and isinstance(after, list) and 1 <= len(after) <= 3 \
            and all(isinstance(v, (int, float, str)) for v in after)
    except (ValueError, TypeError, KeyError, AttributeError):
        ok = False
    if not ok:
        _fail("invalid_cursor", "This cursor is not from this search; start again without it.",
              "cursor", "Malformed or from another search.")
    return after


def page_request(params, settings, allowed):
    """Staff searches over users/orders: q, limit, cursor plus the named extra filters."""
    params = dict(params or {})
    unknown = sorted(set(params) - {"q", "limit", "cursor", *allowed})
    if unknown:
        raise ValidationFailed("unknown_filter", f"Unknown parameter(s): {', '.join(unknown)}.",
                               {"fields": {u: ["Unknown filter."] for u in unknown}})
    out = {"q": query_text(_one(params, "q"), settings, required=False),
           "limit": limit(params, 20, settings.page_max), "cursor": _one(params, "cursor")}
    for name in allowed:
        if name == "user_id":
            out[name] = _int(params, name, 1, 2 ** 63 - 1)
        else:
            out[name] = _one(params, name)
    return out


# --- response shapes: what searching.py and documents.py return, as gateway/apidoc/search.py
# documents it. Every field is declared (the document says additionalProperties false).

def _out_count():
    return fields.Integer(required=True)


def _out_next_cursor():
    return fields.String(required=True, allow_none=True,
                         metadata={"description": "Send as `cursor` for the next page."})


class SearchCategoryOut(RefOut):
    path = fields.List(fields.String(), required=True,
                       metadata={"description": "Slugs from the root to this category."})


class SearchHitOut(Schema):
    """queries.hit."""
    product_id = fields.Integer(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    brand = fields.Nested(RefOut, required=True)
    category = fields.Nested(SearchCategoryOut, required=True)
    price = fields.Integer(required=True, metadata={
        "description": "Lowest active variant price, minor units."})
    currency = fields.String(required=True, metadata={"example": "INR"})
    sizes = fields.List(fields.String(), required=True)
    colours = fields.List(fields.String(), required=True)
    in_stock = fields.Boolean(required=True)
    rating_avg = fields.Float(required=True)
    rating_count = fields.Integer(required=True)
    image_url = fields.String(required=True, allow_none=True)
    highlight = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                            required=True, metadata={
                                "description": "Field → fragments with <em>…</em> around "
                                               "matches."})


class FacetBucketOut(Schema):
    value = fields.String(required=True, metadata={"description": "The filter value to send "
                                                                  "back."})
    label = fields.String(required=True)
    count = _out_count()


class RangeBucketOut(Schema):
    key = fields.String(required=True, metadata={"example": "1000-2500"})
    from_ = fields.Integer(required=True, allow_none=True, data_key="from")
    to = fields.Integer(required=True, allow_none=True,
                        metadata={"description": "Exclusive upper bound."})
    count = _out_count()


class StockFacetOut(Schema):
    true = _out_count()
    false = _out_count()


class SearchFacetsOut(Schema):
    """queries.facets: counts for the query and filters (each facet ignores its own filter,
    so other values stay selectable)."""
    category = fields.List(fields.Nested(FacetBucketOut), required=True)
    brand = fields.List(fields.Nested(FacetBucketOut), required=True)
    size = fields.List(fields.Nested(FacetBucketOut), required=True)
    colour = fields.List(fields.Nested(FacetBucketOut), required=True)
    price = fields.List(fields.Nested(RangeBucketOut), required=True)
    rating = fields.List(fields.Nested(RangeBucketOut), required=True)
    in_stock = fields.Nested(StockFacetOut, required=True)


class SearchResultsOut(Schema):
    """search: searching.search_products' page and the id to send back with a click."""
    query = fields.String(required=True)
    total = _out_count()
    items = fields.List(fields.Nested(SearchHitOut), required=True)
    facets = fields.Nested(SearchFacetsOut, required=True)
    next_cursor = _out_next_cursor()
    did_you_mean = fields.String(required=True, allow_none=True, metadata={
        "description": "A corrected query when nothing matched."})
    personalised = fields.Boolean(required=True, metadata={
        "description": "True when the signed-in shopper's history reordered the results "
                       "(never the set)."})
    search_id = fields.UUID(required=True)


class SuggestionOut(Schema):
    text = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["query", "product"]))
    category = fields.String(required=True, allow_none=True)
    product_id = fields.Integer(required=True, allow_none=True)


class SuggestionsOut(Schema):
    query = fields.String(required=True)
    suggestions = fields.List(fields.Nested(SuggestionOut), required=True)


class SearchClickRecordedOut(Schema):
    recorded = fields.Boolean(required=True)


class TrendingSearchOut(Schema):
    query = fields.String(required=True)
    frequency = _out_count()


class TrendingSearchesOut(Schema):
    items = fields.List(fields.Nested(TrendingSearchOut), required=True)


class UserDocOut(Schema):
    """documents.user_doc: a hit of the staff user search."""
    user_id = fields.Integer(required=True)
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    bio = fields.String(required=True, allow_none=True)
    location = fields.String(required=True, allow_none=True)
    role = fields.String(required=True)
    is_active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True, allow_none=True)


class UserSearchResultsOut(Schema):
    total = _out_count()
    items = fields.List(fields.Nested(UserDocOut), required=True)
    next_cursor = _out_next_cursor()


class OrderDocOut(Schema):
    """documents.order_doc: a hit of the order search."""
    order_id = fields.Integer(required=True)
    order_ref = fields.String(required=True, allow_none=True)
    user_id = fields.Integer(required=True)
    status = fields.String(required=True)
    product_names = fields.List(fields.String(), required=True)
    skus = fields.List(fields.String(), required=True)
    total_amount = fields.Integer(required=True, allow_none=True)
    currency = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True, allow_none=True)


class OrderSearchResultsOut(Schema):
    total = _out_count()
    items = fields.List(fields.Nested(OrderDocOut), required=True)
    next_cursor = _out_next_cursor()
