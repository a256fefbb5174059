"""OpenAPI part of /api/search… (gateway/routes/search.py): product search, autocomplete,
click tracking, trending searches, and staff search over users and orders.

Shapes the storefront relies on:

GET /api/search?q=jeens&brand=denimco&in_stock=true&sort=relevance&limit=24
  {"query": "jeens", "total": 7, "items": [SearchHit…], "facets": SearchFacets,
   "next_cursor": "…" | null, "did_you_mean": "jeans" | null, "personalised": false,
   "search_id": "uuid"}            ← send search_id back with /api/search/click
GET /api/search/suggest?q=jea&limit=8
  {"query": "jea", "suggestions": [{"text": "jeans", "kind": "query", "category": "jeans",
                                    "product_id": null}, {"kind": "product", …}]}
"""
from services.search import schemas as search
from gateway.openapi import _query, operation, optional_auth, ref

TAGS = ["search"]

SORTS = ["relevance", "price_asc", "price_desc", "newest", "popularity"]

Q = {"name": "q", "in": "query", "required": True,
     "schema": {"type": "string", "minLength": 1, "maxLength": 200},
     "description": "What the shopper typed; typos are tolerated (`jeens` finds jeans)."}
OPTIONAL_Q = {**Q, "required": False,
              "description": "Free text; leave out to list everything matching the filters."}
LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 24})
CURSOR = _query("cursor", {"type": "string"},
                "The previous page's `next_cursor` (search_after); same q, filters and sort.")
PRODUCT_FILTERS = [
    _query("category", {"type": "string"}, "A category slug; includes its descendants."),
    _query("brand", {"type": "string"}, "A brand slug; repeat the parameter for several."),
    _query("size", {"type": "string"}, "A variant size (any case); repeatable."),
    _query("colour", {"type": "string"}, "A variant colour (any case); repeatable."),
    _query("min_price", {"type": "integer", "minimum": 0}, "Minor units, inclusive."),
    _query("max_price", {"type": "integer", "minimum": 0},
           "Minor units, inclusive; must not be below min_price (`invalid_price_range`)."),
    _query("in_stock", {"type": "boolean"}, "Only products with an active variant in stock."),
    _query("min_rating", {"type": "number", "minimum": 0, "maximum": 5}),
    _query("sort", {"type": "string", "enum": SORTS, "default": "relevance"}),
]

SCHEMAS = {
    # nested shapes first, so the shapes that nest them refer to these names
    "SearchCategory": search.SearchCategoryOut,
    "SearchHit": search.SearchHitOut,
    "FacetBucket": search.FacetBucketOut,
    "RangeBucket": search.RangeBucketOut,
    "StockFacet": search.StockFacetOut,
    "SearchFacets": search.SearchFacetsOut,
    "SearchResults": search.SearchResultsOut,
    "Suggestion": search.SuggestionOut,
    "Suggestions": search.SuggestionsOut,
    "SearchClick": {
        "type": "object", "required": ["search_id", "product_id"],
        "additionalProperties": False,
        "properties": {"search_id": {"type": "string", "format": "uuid"},
                       "product_id": {"type": "integer", "minimum": 1},
                       "position": {"type": "integer", "minimum": 0}},
    },
    "SearchClickRecorded": search.SearchClickRecordedOut,
    "TrendingSearch": search.TrendingSearchOut,
    "TrendingSearches": search.TrendingSearchesOut,
    "UserDocument": search.UserDocOut,
    "UserSearchResults": search.UserSearchResultsOut,
    "OrderDocument": search.OrderDocOut,
    "OrderSearchResults": search.OrderSearchResultsOut,
}

_503 = ("503 `search_unavailable` within 1 s when Elasticsearch is down; the rest of the "
        "shop keeps working.")

PATHS = {
    "/api/search": {"get": optional_auth(operation(
        "Search products", "search", "200", ref("SearchResults"), "422",
        params=[OPTIONAL_Q, *PRODUCT_FILTERS, LIMIT, CURSOR],
        ok_description="Hits, facets and a cursor. 422 codes: `query_too_long`, "
                       "`unknown_filter`, `invalid_price_range`, `limit_too_large`, "
                       "`invalid_cursor`, `validation_failed`. " + _503))},
    "/api/search/suggest": {"get": optional_auth(operation(
        "Autocomplete", "search", "200", ref("Suggestions"), "422",
        params=[Q, _query("limit", {"type": "integer", "minimum": 1, "maximum": 20,
                                    "default": 8})],
        ok_description="Past queries weighted by how often shoppers ran them, then product "
                       "names. " + _503))},
    "/api/search/click": {"post": optional_auth(operation(
        "Record a click on a search result", "search", "202", ref("SearchClickRecorded"),
        "404", body="SearchClick", ok_description="Accepted"))},
    "/api/search/trending": {"get": optional_auth(operation(
        "Trending searches", "search", "200", ref("TrendingSearches"), "422",
        params=[_query("limit", {"type": "integer", "minimum": 1, "maximum": 50,
                                 "default": 10}),
                _query("days", {"type": "integer", "minimum": 1, "maximum": 30,
                                "default": 7})]))},
    "/api/search/users": {"get": operation(
        "Search users (staff)", "search", "200", ref("UserSearchResults"), "403", "422",
        params=[Q, LIMIT, CURSOR])},
    "/api/search/orders": {"get": operation(
        "Search orders (staff; a shopper sees only their own)", "search", "200",
        ref("OrderSearchResults"), "403", "422",
        params=[OPTIONAL_Q, _query("status", {"type": "string"}),
                _query("user_id", {"type": "integer", "minimum": 1},
                       "Staff only; a shopper's search is always limited to their own."),
                LIMIT, CURSOR])},
}
