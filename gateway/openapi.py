"""The OpenAPI 3.0 description of the gateway, served at GET /api/openapi.json.

Written by hand next to the routes; tests/gateway check that every route the app serves is
described here (and nothing else), so the two cannot drift apart silently.
"""
from flask import Blueprint

bp = Blueprint("openapi", __name__)

ERROR_STATUSES = {
    "400": "The body is not JSON, or not a JSON object (`malformed_json`, `json_object_required`).",
    "401": "No valid access token (`missing_token`, `invalid_token`, `session_revoked`).",
    "403": "The caller's role does not allow this.",
    "404": "No such resource.",
    "409": "Conflicts with the current state (e.g. `email_taken`, `username_taken`).",
    "413": "The body is larger than the gateway accepts (`payload_too_large`).",
    "422": "Some fields are invalid; `details.fields` maps each field to its problems.",
    "429": "Rate limited; `Retry-After` says when to try again.",
    "502": "A backing service failed (`upstream_error`).",
    "503": "A backing service is unavailable; retry later (`upstream_unavailable`).",
}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema):
    return {"application/json": {"schema": schema}}


def errors(*statuses):
    return {status: {"$ref": f"#/components/responses/Error{status}"} for status in statuses}


def operation(summary, tag, ok_status, ok_schema, *error_statuses, body=None, auth=True,
              params=(), ok_description="Success"):
    op = {
        "summary": summary,
        "tags": [tag],
        "operationId": _operation_id(summary),
        "responses": {ok_status: {"description": ok_description, "content": json_content(ok_schema)},
                      **errors(*error_statuses, "429", "500")},
    }
    if auth:
        op["security"] = [{"bearerAuth": []}]
        op["responses"].update(errors("401"))
    if body:
        op["requestBody"] = {"required": True, "content": json_content(ref(body))}
        op["responses"].update(errors("400", "413", "422"))
    if params:
        op["parameters"] = list(params)
        # every path and query parameter is checked by the service: a bad one is a 422
        op["responses"].update(errors("422"))
    if tag != "health":
        op["responses"].update(errors("502", "503"))
    return op


def _operation_id(summary):
    words = "".join(c if c.isalnum() else " " for c in summary).split()
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


USER_ID = {"name": "user_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1}}
LIMIT = {"name": "limit", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}}
BEFORE_ID = {"name": "before_id", "in": "query", "required": False,
             "description": "Only entries older than this id (the previous page's next_before_id).",
             "schema": {"type": "integer", "minimum": 1}}

NULLABLE_STRING = {"type": "string", "nullable": True}
DATETIME = {"type": "string", "format": "date-time"}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "example": "validation_failed"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True,
                            "example": {"fields": {"email": ["Not a valid email address."]}}},
            },
        }},
    },
    "Health": {"type": "object", "required": ["status"],
               "properties": {"status": {"type": "string", "enum": ["ok"]}}},
    "PublicUser": {
        "type": "object",
        "required": ["id", "username", "full_name", "role"],
        "properties": {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "full_name": {"type": "string"},
            "bio": NULLABLE_STRING,
            "avatar_url": NULLABLE_STRING,
            "role": {"type": "string", "enum": ["customer", "support", "admin"]},
            "is_online": {"type": "boolean"},
            "last_seen": {**DATETIME, "nullable": True},
            "created_at": DATETIME,
        },
    },
    "User": {"allOf": [ref("PublicUser"), {
        "type": "object",
        "required": ["email"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "phone": NULLABLE_STRING,
            "is_active": {"type": "boolean"},
            "updated_at": DATETIME,
        },
    }]},
    "Profile": {"allOf": [ref("PublicUser"), {
        "type": "object",
        "properties": {"followers": {"type": "integer"}, "following": {"type": "integer"}},
    }]},
    "RelatedUser": {"allOf": [ref("PublicUser"), {
        "type": "object", "properties": {"since": DATETIME},
    }]},
    "UserList": {"type": "object", "required": ["items"],
                 "properties": {"items": {"type": "array", "items": ref("RelatedUser")}}},
    "Activity": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "user_id": {"type": "integer"},
            "type": {"type": "string", "example": "followed"},
            "data": {"type": "object", "additionalProperties": True},
            "created_at": DATETIME,
        },
    },
    "ActivityPage": {
        "type": "object",
        "required": ["items", "next_before_id"],
        "properties": {
            "items": {"type": "array", "items": ref("Activity")},
            "next_before_id": {"type": "integer", "nullable": True},
        },
    },
    "Relation": {
        "type": "object",
        "properties": {
            "user_id": {"type": "integer"},
            "target_user_id": {"type": "integer"},
            "changed": {"type": "boolean",
                        "description": "False when nothing changed (already so)."},
        },
    },
    "RegisterRequest": {
        "type": "object",
        "required": ["email", "username", "password", "full_name"],
        "additionalProperties": False,
        "properties": {
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "username": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{3,30}$"},
            "password": {"type": "string", "format": "password", "minLength": 8, "maxLength": 128},
            "full_name": {"type": "string", "minLength": 1, "maxLength": 120},
        },
    },
    "LoginRequest": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {"email": {"type": "string"},
                       "password": {"type": "string", "format": "password"}},
    },
    "RefreshRequest": {
        "type": "object",
        "required": ["refresh_token"],
        "properties": {"refresh_token": {"type": "string"}},
    },
    "ProfileChanges": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "full_name": {"type": "string", "minLength": 1, "maxLength": 120},
            "username": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{3,30}$"},
            "bio": {"type": "string", "maxLength": 500, "nullable": True},
            "avatar_url": {"type": "string", "format": "uri", "nullable": True},
            "phone": {"type": "string", "nullable": True},
        },
    },
    "TokenPair": {
        "type": "object",
        "required": ["access_token", "refresh_token", "token_type", "expires_in", "user"],
        "properties": {
            "access_token": {"type": "string"},
            "refresh_token": {"type": "string",
                              "description": "Single use: /api/auth/refresh returns a new one."},
            "token_type": {"type": "string", "example": "Bearer"},
            "expires_in": {"type": "integer", "description": "Seconds the access token lives."},
            "user": ref("User"),
        },
    },
    "SignedOut": {"type": "object", "properties": {"status": {"type": "string",
                                                              "enum": ["signed_out"]}}},
}

PATHS = {
    "/health": {"get": operation("Gateway liveness", "health", "200", ref("Health"), auth=False)},
    "/api/openapi.json": {"get": operation("This document", "health", "200", {"type": "object"},
                                           auth=False)},
    "/api/auth/register": {"post": operation(
        "Register an account", "auth", "201", ref("User"), "409",
        body="RegisterRequest", auth=False, ok_description="Created")},
    "/api/auth/login": {"post": operation(
        "Sign in", "auth", "200", ref("TokenPair"), "401",
        body="LoginRequest", auth=False)},
    "/api/auth/refresh": {"post": operation(
        "Rotate a refresh token", "auth", "200", ref("TokenPair"), "401",
        body="RefreshRequest", auth=False)},
    "/api/auth/logout": {"post": operation("Sign out this session", "auth", "200",
                                           ref("SignedOut"))},
    "/api/users/me": {
        "get": operation("My account", "users", "200", ref("User"), "404"),
        "patch": operation("Update my profile", "users", "200", ref("User"), "404", "409",
                           body="ProfileChanges"),
    },
    "/api/users/me/followers": {"get": operation("Who follows me", "users", "200", ref("UserList"),
                                                 "422", params=[LIMIT])},
    "/api/users/me/following": {"get": operation("Whom I follow", "users", "200", ref("UserList"),
                                                 "422", params=[LIMIT])},
    "/api/users/me/activity": {"get": operation("My activity", "users", "200", ref("ActivityPage"),
                                                "422", params=[LIMIT, BEFORE_ID])},
    "/api/users/me/feed": {"get": operation("Activity of people I follow", "users", "200",
                                            ref("ActivityPage"), "422",
                                            params=[LIMIT, BEFORE_ID])},
    "/api/users/{user_id}": {"get": operation("A user's public profile", "users", "200",
                                              ref("Profile"), "404", params=[USER_ID])},
    "/api/users/{user_id}/follow": {
        "post": operation("Follow a user", "users", "200", ref("Relation"), "404", "422",
                          params=[USER_ID]),
        "delete": operation("Unfollow a user", "users", "200", ref("Relation"), "404", "422",
                            params=[USER_ID]),
    },
    "/api/users/{user_id}/block": {
        "post": operation("Block a user", "users", "200", ref("Relation"), "404", "422",
                          params=[USER_ID]),
        "delete": operation("Unblock a user", "users", "200", ref("Relation"), "404", "422",
                            params=[USER_ID]),
    },
}


# ---- catalog and cart (gateway/routes/catalog.py, gateway/routes/cart.py) --------------------

def optional_auth(op):
    """Shoppers may browse signed out; a token, if sent, must be valid (else 401)."""
    op["security"] = [{"bearerAuth": []}, {}]
    return op


def cached(op):
    """A read served from the response cache: ETag, If-None-Match → 304, no-cache bypass."""
    op["parameters"] = op.get("parameters", []) + [IF_NONE_MATCH, CACHE_CONTROL]
    op["responses"]["200"]["headers"] = {
        "ETag": {"description": "A hash of the body; send it back in If-None-Match.",
                 "schema": {"type": "string"}},
        "X-Cache": {"description": "`hit`, `miss`, or `bypass` (Cache-Control: no-cache).",
                    "schema": {"type": "string", "enum": ["hit", "miss", "bypass"]}},
    }
    op["responses"]["304"] = {"description": "Not modified: If-None-Match names the current "
                                             "ETag (the body is omitted)."}
    return op


def with_cart_session(op):
    op["parameters"] = op.get("parameters", []) + [CART_SESSION]
    op["responses"][next(iter(op["responses"]))]["headers"] = {"X-Cart-Session": {
        "description": "A guest's cart session id (also set as the HttpOnly cookie "
                       "`aarya_cart`); send it back to keep the same cart.",
        "schema": {"type": "string"}}}
    return optional_auth(op)


def also_ok_200(op):
    """An idempotent create: 201 the first time, 200 with the same body on a repeat."""
    first = next(iter(op["responses"].values()))
    op["responses"]["200"] = {"description": "Already done: the existing one",
                              "content": first["content"]}
    return op


def _id_param(name):
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1}}


def _query(name, schema, description=None):
    param = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


PRODUCT_ID, VARIANT_ID, REVIEW_ID = (_id_param("product_id"), _id_param("variant_id"),
                                     _id_param("review_id"))
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False,
                 "description": "The ETag of a copy the client holds: 304 if still current.",
                 "schema": {"type": "string"}}
CACHE_CONTROL = {"name": "Cache-Control", "in": "header", "required": False,
                 "description": "`no-cache` skips the gateway's response cache and reads from "
                                "the products service (the fresh answer is cached again).",
                 "schema": {"type": "string", "example": "no-cache"}}
CART_SESSION = {"name": "X-Cart-Session", "in": "header", "required": False,
                "description": "A guest's cart session id (apps without cookies). Ignored when "
                               "signed in; merged into the user's cart at sign-in.",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,128}$"}}
PAGE_LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20})
CURSOR = _query("cursor", {"type": "string"},
                "The previous page's next_cursor (opaque), with the same other parameters.")
LISTING_PARAMS = [
    _query("category", {"type": "string"}, "A category id or slug; includes its descendants."),
    _query("brand", {"type": "string"}, "A brand id or slug."),
    _query("min_price", {"type": "integer", "minimum": 0}, "Minor units, inclusive."),
    _query("max_price", {"type": "integer", "minimum": 0}, "Minor units, inclusive."),
    _query("currency", {"type": "string", "enum": ["INR", "USD", "EUR", "GBP"]}),
    _query("size", {"type": "string"}, "An active variant of this size (any case)."),
    _query("colour", {"type": "string"}, "An active variant of this colour (any case)."),
    _query("in_stock", {"type": "boolean"},
           "true: that variant has stock; false: it exists but has none."),
    _query("q", {"type": "string", "maxLength": 100}, "Part of the product name."),
    _query("sort", {"type": "string", "default": "newest",
                    "enum": ["newest", "price_asc", "price_desc", "rating", "name"]}),
    CURSOR,
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 24}),
]

REF = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                        "slug": {"type": "string"}}}
MONEY = {"type": "integer", "description": "Minor units of `currency` (paise for INR)."}
CURRENCY = {"type": "string", "enum": ["INR", "USD", "EUR", "GBP"]}
AVAILABILITY = {"type": "string", "enum": ["in_stock", "low_stock", "out_of_stock"]}


def _items(schema_name, **extra):
    return {"type": "object", "required": ["items"],
            "properties": {"items": {"type": "array", "items": ref(schema_name)}, **extra}}


SCHEMAS.update({
    "ProductCard": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "slug": {"type": "string"},
            "price": MONEY, "currency": CURRENCY, "brand": REF, "category": REF,
            "rating": {"type": "object", "properties": {"avg": {"type": "number"},
                                                        "count": {"type": "integer"}}},
            "image_url": NULLABLE_STRING, "in_stock": {"type": "boolean"},
            "is_active": {"type": "boolean"}, "created_at": DATETIME,
        },
    },
    "ProductPage": _items("ProductCard", next_cursor={
        "type": "string", "nullable": True, "description": "Send as `cursor` for the next page."}),
    "TrendingProduct": {"allOf": [ref("ProductCard"), {"type": "object", "properties": {
        "trending_score": {"type": "number"}, "views": {"type": "integer"}}}]},
    "TrendingList": _items("TrendingProduct"),
    "Variant": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "product_id": {"type": "integer"},
            "sku": {"type": "string"}, "size": {"type": "string"}, "colour": {"type": "string"},
            "price": {**MONEY, "description": "What a shopper pays (override or list price)."},
            "price_override": {**MONEY, "nullable": True}, "currency": CURRENCY,
            "inventory_count": {"type": "integer"}, "low_stock_threshold": {"type": "integer"},
            "availability": AVAILABILITY, "is_active": {"type": "boolean"},
        },
    },
    "Image": {"type": "object", "properties": {
        "id": {"type": "integer"}, "url": {"type": "string", "format": "uri"},
        "alt_text": NULLABLE_STRING, "position": {"type": "integer"}}},
    "Product": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "slug": {"type": "string"},
            "description": NULLABLE_STRING, "price": MONEY, "currency": CURRENCY,
            "is_active": {"type": "boolean"}, "brand": REF,
            "category": {"allOf": [REF, {"type": "object", "properties": {
                "path": {"type": "array", "items": REF}}}]},
            "variants": {"type": "array", "items": ref("Variant")},
            "images": {"type": "array", "items": ref("Image")},
            "rating": {"type": "object", "properties": {
                "avg": {"type": "number"}, "count": {"type": "integer"},
                "histogram": {"type": "object", "additionalProperties": {"type": "integer"}}}},
            "in_stock": {"type": "boolean"}, "created_at": DATETIME, "updated_at": DATETIME,
        },
    },
    "Category": {"allOf": [REF, {"type": "object", "properties": {
        "parent_id": {"type": "integer", "nullable": True},
        "children": {"type": "array", "items": ref("Category")}}}]},
    "CategoryList": _items("Category"),
    "Brand": {"allOf": [REF, {"type": "object", "properties": {
        "description": NULLABLE_STRING, "logo_url": NULLABLE_STRING}}]},
    "BrandList": _items("Brand"),
    "Review": {"type": "object", "properties": {
        "id": {"type": "integer"}, "product_id": {"type": "integer"},
        "user_id": {"type": "integer"}, "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "title": {"type": "string"}, "body": {"type": "string"},
        "created_at": DATETIME, "updated_at": DATETIME}},
    "ReviewPage": _items("Review", next_cursor={"type": "string", "nullable": True}),
    "ReviewRequest": {"type": "object", "required": ["rating", "title", "body"], "properties": {
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "title": {"type": "string", "maxLength": 150}, "body": {"type": "string",
                                                             "maxLength": 5000}}},
    "ReviewChanges": {"type": "object", "minProperties": 1, "additionalProperties": False,
                      "properties": {
                          "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                          "title": {"type": "string", "maxLength": 150},
                          "body": {"type": "string", "maxLength": 5000}}},
    "VariantRequest": {"type": "object", "required": ["sku", "size", "colour"],
                       "additionalProperties": False, "properties": {
                           "sku": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"},
                           "size": {"type": "string", "maxLength": 20},
                           "colour": {"type": "string", "maxLength": 40},
                           "price": {**MONEY, "nullable": True},
                           "inventory_count": {"type": "integer", "minimum": 0},
                           "low_stock_threshold": {"type": "integer", "minimum": 0},
                           "is_active": {"type": "boolean"}}},
    "VariantChanges": {"type": "object", "minProperties": 1, "additionalProperties": False,
                       "description": "Stock moves only through the stock routes.",
                       "properties": {
                           "size": {"type": "string", "maxLength": 20},
                           "colour": {"type": "string", "maxLength": 40},
                           "price": {**MONEY, "nullable": True,
                                     "description": "Override; null: the product's price."},
                           "low_stock_threshold": {"type": "integer", "minimum": 0},
                           "is_active": {"type": "boolean"}}},
    "ImageRequest": {"type": "object", "required": ["url"], "additionalProperties": False,
                     "properties": {"url": {"type": "string", "format": "uri"},
                                    "alt_text": NULLABLE_STRING,
                                    "position": {"type": "integer", "nullable": True}}},
    "ProductRequest": {"type": "object", "required": ["name", "brand_id", "category_id", "price"],
                       "additionalProperties": False, "properties": {
                           "name": {"type": "string", "maxLength": 200},
                           "slug": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"},
                           "description": NULLABLE_STRING,
                           "brand_id": {"type": "integer"}, "category_id": {"type": "integer"},
                           "price": MONEY, "currency": CURRENCY,
                           "is_active": {"type": "boolean"},
                           "variants": {"type": "array", "items": ref("VariantRequest")},
                           "images": {"type": "array", "items": ref("ImageRequest")}}},
    "ProductChanges": {"type": "object", "minProperties": 1, "additionalProperties": False,
                       "properties": {
                           "name": {"type": "string", "maxLength": 200},
                           "description": NULLABLE_STRING,
                           "brand_id": {"type": "integer"}, "category_id": {"type": "integer"},
                           "price": MONEY, "currency": CURRENCY,
                           "is_active": {"type": "boolean"}}},
    "StockCount": {"type": "object", "required": ["quantity", "reason"], "properties": {
        "quantity": {"type": "integer", "minimum": 0}, "reason": {"type": "string",
                                                              "maxLength": 200}}},
    "StockAdjustment": {"type": "object", "required": ["delta", "reason"], "properties": {
        "delta": {"type": "integer", "description": "+ a delivery, - a write-off; never 0."},
        "reason": {"type": "string", "maxLength": 200}}},
    "Ping": {"type": "object", "properties": {"products": {"type": "string",
                                                           "enum": ["pong"]}}},
    "CartLine": {"type": "object", "properties": {
        "variant_id": {"type": "integer"}, "product_id": {"type": "integer", "nullable": True},
        "sku": NULLABLE_STRING, "name": NULLABLE_STRING, "size": NULLABLE_STRING,
        "colour": NULLABLE_STRING, "quantity": {"type": "integer"},
        "unit_price": {**MONEY, "nullable": True}, "currency": {**CURRENCY, "nullable": True},
        "line_total": {**MONEY, "nullable": True}, "available_quantity": {"type": "integer"},
        "in_stock": {"type": "boolean"}, "availability": {"type": "string"},
        "is_active": {"type": "boolean"},
        "problems": {"type": "array", "items": {"type": "string", "enum": [
            "variant_not_found", "product_inactive", "out_of_stock", "insufficient_stock"]}}}},
    "Cart": {"type": "object", "properties": {
        "cart_id": {"type": "string"},
        "owner": {"type": "object", "properties": {"user_id": {"type": "integer"},
                                                   "session_id": {"type": "string"}}},
        "lines": {"type": "array", "items": ref("CartLine")},
        "item_count": {"type": "integer"}, "total_quantity": {"type": "integer"},
        "subtotal": {**MONEY, "nullable": True}, "currency": {**CURRENCY, "nullable": True},
        "checkout_ready": {"type": "boolean"},
        "updated_at": {**DATETIME, "nullable": True}, "expires_at": {**DATETIME,
                                                                     "nullable": True}}},
    "CartItemRequest": {"type": "object", "required": ["variant_id", "quantity"], "properties": {
        "variant_id": {"type": "integer", "minimum": 1},
        "quantity": {"type": "integer", "minimum": 1}}},
    "CartQuantity": {"type": "object", "required": ["quantity"], "properties": {
        "quantity": {"type": "integer", "minimum": 0, "description": "0 removes the line."}}},
})

PATHS.update({
    "/api/products": {
        "get": cached(optional_auth(operation(
            "List products", "catalog", "200", ref("ProductPage"), "404", "422",
            params=LISTING_PARAMS))),
        "post": operation("Create a product", "catalog", "201", ref("Product"), "403", "409",
                          body="ProductRequest", ok_description="Created"),
    },
    "/api/products/trending": {"get": cached(optional_auth(operation(
        "Trending products", "catalog", "200", ref("TrendingList"), "422",
        params=[_query("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                 "default": 10})])))},
    "/api/products/{product_id}": {
        "get": cached(optional_auth(operation(
            "A product", "catalog", "200", ref("Product"), "404", params=[PRODUCT_ID]))),
        "patch": operation("Update a product", "catalog", "200", ref("Product"), "403", "404",
                           body="ProductChanges", params=[PRODUCT_ID]),
    },
    "/api/products/{product_id}/deactivate": {"post": operation(
        "Deactivate a product", "catalog", "200", ref("Product"), "403", "404",
        params=[PRODUCT_ID])},
    "/api/products/{product_id}/variants": {"post": operation(
        "Add a variant", "catalog", "201", ref("Variant"), "403", "404", "409",
        body="VariantRequest", params=[PRODUCT_ID], ok_description="Created")},
    "/api/products/{product_id}/images": {"post": operation(
        "Add an image", "catalog", "201", ref("Image"), "403", "404", body="ImageRequest",
        params=[PRODUCT_ID], ok_description="Created")},
    "/api/products/{product_id}/reviews": {
        "get": optional_auth(operation("A product's reviews", "catalog", "200",
                                       ref("ReviewPage"), "404", "422",
                                       params=[PRODUCT_ID, CURSOR, PAGE_LIMIT])),
        "post": operation("Review a product", "catalog", "201", ref("Review"), "404", "409",
                          body="ReviewRequest", params=[PRODUCT_ID], ok_description="Created"),
    },
    "/api/reviews/{review_id}": {"patch": operation(
        "Edit my review", "catalog", "200", ref("Review"), "403", "404",
        body="ReviewChanges", params=[REVIEW_ID])},
    "/api/variants/{variant_id}": {"patch": operation(
        "Update a variant", "catalog", "200", ref("Variant"), "403", "404", "409",
        body="VariantChanges", params=[VARIANT_ID])},
    "/api/variants/{variant_id}/stock": {"put": operation(
        "Set a variant's stock", "catalog", "200", ref("Variant"), "403", "404",
        body="StockCount", params=[VARIANT_ID])},
    "/api/variants/{variant_id}/stock-adjustments": {"post": operation(
        "Adjust a variant's stock", "catalog", "200", ref("Variant"), "403", "404", "409",
        body="StockAdjustment", params=[VARIANT_ID])},
    "/api/categories": {"get": cached(optional_auth(operation(
        "The category tree", "catalog", "200", ref("CategoryList"))))},
    "/api/brands": {"get": cached(optional_auth(operation(
        "All brands", "catalog", "200", ref("BrandList"))))},
    "/api/system/ping": {"get": optional_auth(operation(
        "Ping the products service", "system", "200", ref("Ping")))},
    "/api/cart": {
        "get": with_cart_session(operation("My cart", "cart", "200", ref("Cart"))),
        "delete": with_cart_session(operation("Empty my cart", "cart", "200", ref("Cart"))),
    },
    "/api/cart/items": {"post": with_cart_session(operation(
        "Add to my cart", "cart", "200", ref("Cart"), "404", "409",
        body="CartItemRequest"))},
    "/api/cart/items/{variant_id}": {
        "patch": with_cart_session(operation(
            "Change a cart line's quantity", "cart", "200", ref("Cart"), "404", "409",
            body="CartQuantity", params=[VARIANT_ID])),
        "delete": with_cart_session(operation(
            "Remove a cart line", "cart", "200", ref("Cart"), "404", "422",
            params=[VARIANT_ID])),
    },
})


# ---- notifications, chat, promotions (gateway/routes/notifications.py, promotions.py) --------

CONVERSATION_ID, PROMOTION_ID = _id_param("conversation_id"), _id_param("promotion_id")
CHAT_PAGE_LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                   "default": 50})
INBOX_LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20})
PROMOTION_FIELDS = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": {"type": "string", "maxLength": 5000, "nullable": True},
    "code": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$", "nullable": True,
             "description": "Stored upper-case; unique among promotions not yet over."},
    "discount_percent": {"type": "integer", "minimum": 1, "maximum": 90, "nullable": True},
    "discount_amount": {**MONEY, "minimum": 1, "nullable": True,
                        "description": "Minor units off; needs `currency`."},
    "currency": {**CURRENCY, "nullable": True},
    "starts_at": DATETIME,
    "ends_at": {**DATETIME, "description": "After starts_at, and in the future."},
    "product_ids": {"type": "array", "items": {"type": "integer", "minimum": 1},
                    "nullable": True},
    "category": {"type": "string", "description": "A category slug.", "nullable": True},
}

SCHEMAS.update({
    "Notification": {"type": "object", "properties": {
        "id": {"type": "integer"}, "user_id": {"type": "integer"},
        "type": {"type": "string", "example": "order_shipped"}, "title": {"type": "string"},
        "body": {"type": "string"}, "data": {"type": "object", "additionalProperties": True},
        "is_read": {"type": "boolean"}, "read_at": {**DATETIME, "nullable": True},
        "created_at": DATETIME}},
    "NotificationPage": _items("Notification",
                               next_before_id={"type": "integer", "nullable": True}),
    "UnreadCount": {"type": "object", "properties": {"user_id": {"type": "integer"},
                                                     "unread": {"type": "integer"}}},
    "MarkReadRequest": {"type": "object", "required": ["ids"], "properties": {
        "ids": {"type": "array", "minItems": 1, "maxItems": 500,
                "items": {"type": "integer", "minimum": 1}}}},
    "MarkedRead": {"type": "object", "properties": {
        "user_id": {"type": "integer"},
        "marked": {"type": "array", "items": {"type": "integer"},
                   "description": "The ids that were unread until now."},
        "unread": {"type": "integer"}}},
    "Preferences": {"type": "object", "properties": {
        "user_id": {"type": "integer"},
        "channels": {"type": "object", "description": "{channel: {category: enabled}}",
                     "additionalProperties": {"type": "object",
                                              "additionalProperties": {"type": "boolean"}}}}},
    "PreferencesChanges": {
        "type": "object", "minProperties": 1, "additionalProperties": False,
        "description": "Only what changes, e.g. {\"email\": {\"promotions\": true}}.",
        "properties": {channel: {"type": "object", "additionalProperties": False,
                                 "properties": {category: {"type": "boolean"} for category in
                                                ("account", "orders", "payments",
                                                 "stock_alerts", "promotions")}}
                       for channel in ("email", "sms", "push", "in_app")}},
    "BackInStockRequest": {"type": "object", "properties": {
        "id": {"type": "integer"}, "user_id": {"type": "integer"},
        "product_id": {"type": "integer"}, "variant_id": {"type": "integer"},
        "created": {"type": "boolean", "description": "False: you had already asked."},
        "created_at": DATETIME, "notified_at": {**DATETIME, "nullable": True}}},
    "BackInStockCancelled": {"type": "object", "properties": {
        "user_id": {"type": "integer"}, "variant_id": {"type": "integer"},
        "cancelled": {"type": "boolean", "description": "False: there was nothing to cancel."}}},
    "Conversation": {"type": "object", "properties": {
        "id": {"type": "integer"}, "customer_id": {"type": "integer"},
        "agent_id": {"type": "integer", "nullable": True},
        "status": {"type": "string", "enum": ["open", "assigned", "closed"]},
        "created_at": DATETIME, "updated_at": DATETIME}},
    "ConversationList": _items("Conversation"),
    "ChatMessage": {"type": "object", "properties": {
        "id": {"type": "integer"}, "conversation_id": {"type": "integer"},
        "sender_id": {"type": "integer"},
        "sender_role": {"type": "string", "enum": ["customer", "agent"]},
        "body": {"type": "string"}, "created_at": DATETIME}},
    "ChatMessagePage": _items("ChatMessage", next_before_id={"type": "integer",
                                                             "nullable": True}),
    "ChatMessageRequest": {"type": "object", "required": ["body"], "properties": {
        "body": {"type": "string", "minLength": 1, "maxLength": 4000}}},
    "Promotion": {"type": "object", "properties": {
        "id": {"type": "integer"}, **PROMOTION_FIELDS,
        "status": {"type": "string", "enum": ["scheduled", "live", "ended"]},
        "ended_at": {**DATETIME, "nullable": True,
                     "description": "When staff ended it early, if they did."},
        "created_at": DATETIME, "updated_at": DATETIME}},
    "PromotionList": _items("Promotion", next_before_id={"type": "integer", "nullable": True}),
    "PromotionRequest": {
        "type": "object", "required": ["title", "starts_at", "ends_at"],
        "additionalProperties": False, "properties": PROMOTION_FIELDS,
        "description": "One discount: discount_percent, or discount_amount with currency. "
                       "product_ids or category, not both (neither: the whole shop)."},
    "PromotionChanges": {"type": "object", "minProperties": 1, "additionalProperties": False,
                         "properties": PROMOTION_FIELDS,
                         "description": "A live promotion's starts_at cannot move; an ended "
                                        "one cannot change."},
})

PATHS.update({
    "/api/notifications": {"get": operation(
        "My notifications", "notifications", "200", ref("NotificationPage"), "422",
        params=[_query("unread_only", {"type": "boolean", "default": False}), INBOX_LIMIT,
                BEFORE_ID])},
    "/api/notifications/unread-count": {"get": operation(
        "My unread notification count", "notifications", "200", ref("UnreadCount"))},
    "/api/notifications/read": {"post": operation(
        "Mark notifications read", "notifications", "200", ref("MarkedRead"), "404",
        body="MarkReadRequest")},
    "/api/notifications/read-all": {"post": operation(
        "Mark all my notifications read", "notifications", "200", ref("MarkedRead"))},
    "/api/notifications/preferences": {
        "get": operation("My notification preferences", "notifications", "200",
                         ref("Preferences")),
        "patch": operation("Change my notification preferences", "notifications", "200",
                           ref("Preferences"), body="PreferencesChanges"),
    },
    "/api/products/{product_id}/variants/{variant_id}/back-in-stock": {
        "post": also_ok_200(operation("Tell me when a variant is back in stock", "notifications", "201",
                          ref("BackInStockRequest"), "404",
                          params=[PRODUCT_ID, VARIANT_ID],
                          ok_description="Asked (200 with created false if already asked)")),
        "delete": operation("Stop waiting for a variant", "notifications", "200",
                            ref("BackInStockCancelled"), "404", params=[PRODUCT_ID, VARIANT_ID]),
    },
    "/api/chat/conversations": {
        "get": operation("My support conversations", "chat", "200", ref("ConversationList"),
                         ok_description="A shopper's conversations; staff: theirs and every "
                                        "one waiting for an agent"),
        "post": operation("Open a support conversation", "chat", "200", ref("Conversation"),
                          ok_description="The caller's open conversation (new, or the one "
                                         "already open)"),
    },
    "/api/chat/conversations/{conversation_id}/messages": {
        "get": operation("A conversation's messages", "chat", "200", ref("ChatMessagePage"),
                         "404", "422", params=[CONVERSATION_ID, CHAT_PAGE_LIMIT, BEFORE_ID],
                         ok_description="Newest first"),
        "post": operation("Write in a conversation", "chat", "201", ref("ChatMessage"), "404",
                          "409", body="ChatMessageRequest", params=[CONVERSATION_ID],
                          ok_description="Created"),
    },
    "/api/chat/conversations/{conversation_id}/assign": {"post": operation(
        "Take a waiting conversation", "chat", "200", ref("Conversation"), "403", "404", "409",
        params=[CONVERSATION_ID])},
    "/api/chat/conversations/{conversation_id}/close": {"post": operation(
        "Close a conversation", "chat", "200", ref("Conversation"), "404",
        params=[CONVERSATION_ID])},
    "/api/promotions": {
        "get": optional_auth(operation(
            "Live promotions", "promotions", "200", ref("PromotionList"), "403", "422",
            params=[_query("status", {"type": "string",
                                      "enum": ["scheduled", "live", "ended", "all"]},
                           "Staff only: every promotion with this status instead, newest "
                           "first, paged by before_id."), BEFORE_ID,
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                     "default": 50})])),
        "post": operation("Create a promotion", "promotions", "201", ref("Promotion"), "403",
                          "409", body="PromotionRequest", ok_description="Created"),
    },
    "/api/promotions/{promotion_id}": {"patch": operation(
        "Change a promotion", "promotions", "200", ref("Promotion"), "403", "404", "409",
        body="PromotionChanges", params=[PROMOTION_ID])},
    "/api/promotions/{promotion_id}/end": {"post": operation(
        "End a promotion now", "promotions", "200", ref("Promotion"), "403", "404",
        params=[PROMOTION_ID])},
})


# ---- orders (gateway/routes/orders.py) --------------------------------------------------------

ORDER_ID = _id_param("order_id")
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": True,
                   "description": "A fresh random value per checkout (e.g. a UUID). A retry with "
                                  "the same key and body gets the first response again, never a "
                                  "second order; the same key with another body is 422 "
                                  "`idempotency_key_reused`. Missing: 400 "
                                  "`idempotency_key_required`.",
                   "schema": {"type": "string", "minLength": 1, "maxLength": 255}}
ORDER_STATUS = {"type": "string", "enum": [
    "pending", "payment_pending", "paid", "fulfilled", "shipped", "delivered",
    "payment_failed", "cancelled", "refunded"]}
ORDER_FILTERS = [
    _query("status", ORDER_STATUS),
    _query("user_id", {"type": "integer", "minimum": 1}, "Staff only: one shopper's orders."),
    _query("payment_status", {"type": "string"},
           "e.g. `held`: payments waiting for a fraud review (staff)."),
    BEFORE_ID,
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
]
TRACKING_FIELDS = {
    "carrier": {"type": "string", "maxLength": 60},
    "tracking_number": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9 -]{2,79}$"},
    "current_location": {"type": "string", "maxLength": 200, "nullable": True},
    "estimated_delivery": {"type": "string", "format": "date", "nullable": True},
    "note": {"type": "string", "maxLength": 500, "nullable": True},
}

SCHEMAS.update({
    "Address": {"type": "object", "additionalProperties": False,
                "required": ["full_name", "line1", "city", "state", "postal_code", "country",
                             "phone"],
                "properties": {
                    "full_name": {"type": "string", "maxLength": 120},
                    "line1": {"type": "string", "maxLength": 200},
                    "line2": {"type": "string", "maxLength": 200, "nullable": True},
                    "city": {"type": "string", "maxLength": 100},
                    "state": {"type": "string", "maxLength": 100},
                    "postal_code": {"type": "string", "maxLength": 20,
                                    "description": "Checked against the country's format."},
                    "country": {"type": "string", "pattern": "^[A-Za-z]{2}$",
                                "description": "ISO 3166-1 alpha-2, e.g. IN."},
                    "phone": {"type": "string", "description": "7-15 digits, optional +."}}},
    "Card": {"type": "object", "additionalProperties": False,
             "required": ["number", "exp_month", "exp_year", "cvc", "holder"],
             "properties": {
                 "number": {"type": "string"},
                 "exp_month": {"type": "integer", "minimum": 1, "maximum": 12},
                 "exp_year": {"type": "integer"},
                 "cvc": {"type": "string", "pattern": "^[0-9]{3,4}$"},
                 "holder": {"type": "string", "maxLength": 100}}},
    "OrderRequest": {
        "type": "object", "additionalProperties": False,
        "required": ["shipping_address", "payment_method"],
        "properties": {
            "shipping_address": ref("Address"),
            "payment_method": {"type": "object", "additionalProperties": False,
                               "description": "Exactly one of `token` or `card`.",
                               "properties": {"token": {"type": "string"},
                                              "card": ref("Card")}},
            "items": {"type": "array", "description": "Staff only; shoppers order their cart.",
                      "items": ref("CartItemRequest")},
            "notes": {"type": "string", "maxLength": 500, "nullable": True}}},
    "OrderLine": {"type": "object", "properties": {
        "variant_id": {"type": "integer"}, "product_id": {"type": "integer"},
        "sku": {"type": "string"}, "name": {"type": "string"}, "size": NULLABLE_STRING,
        "colour": NULLABLE_STRING, "unit_price": MONEY, "quantity": {"type": "integer"},
        "line_total": MONEY}},
    "Order": {"type": "object", "properties": {
        "id": {"type": "integer"}, "order_ref": {"type": "string"},
        "user_id": {"type": "integer"}, "status": ORDER_STATUS,
        "status_reason": NULLABLE_STRING, "currency": CURRENCY, "subtotal_amount": MONEY,
        "total_amount": MONEY, "refunded_amount": MONEY, "item_count": {"type": "integer"},
        "total_quantity": {"type": "integer"},
        "items": {"type": "array", "items": ref("OrderLine")},
        "shipping_address": ref("Address"),
        "payment": {"type": "object", "properties": {
            "payment_id": NULLABLE_STRING, "status": NULLABLE_STRING,
            "failure_code": NULLABLE_STRING,
            "next_action": {"type": "object", "nullable": True},
            "method": {"type": "object", "properties": {
                "type": {"type": "string", "enum": ["card", "token"]},
                "last4": {"type": "string"}}}}},
        "cancellation": {"type": "object", "nullable": True, "properties": {
            "reason": NULLABLE_STRING, "refund_requested_at": DATETIME,
            "refund_id": NULLABLE_STRING, "refunded_at": {**DATETIME, "nullable": True}}},
        "notes": NULLABLE_STRING, "created_at": DATETIME,
        "paid_at": {**DATETIME, "nullable": True}, "shipped_at": {**DATETIME, "nullable": True},
        "delivered_at": {**DATETIME, "nullable": True},
        "cancelled_at": {**DATETIME, "nullable": True}, "updated_at": DATETIME}},
    "OrderDetails": {"allOf": [ref("Order"), {"type": "object", "properties": {
        "history": {"type": "array", "items": {"type": "object", "properties": {
            "old_status": {**ORDER_STATUS, "nullable": True}, "new_status": ORDER_STATUS,
            "reason": NULLABLE_STRING, "actor_id": {"type": "integer", "nullable": True},
            "at": DATETIME}}},
        "tracking": ref("Tracking")}}]},
    "OrderPage": _items("Order", next_before_id={
        "type": "integer", "nullable": True, "description": "Send as `before_id` for more."}),
    "TrackingUpdate": {"type": "object", "properties": {
        **TRACKING_FIELDS, "at": DATETIME}},
    "Tracking": {"type": "object", "properties": {
        "order_id": {"type": "integer"}, "order_ref": {"type": "string"},
        "status": ORDER_STATUS, "carrier": NULLABLE_STRING, "tracking_number": NULLABLE_STRING,
        "current_location": NULLABLE_STRING,
        "estimated_delivery": {"type": "string", "format": "date", "nullable": True},
        "shipped_at": {**DATETIME, "nullable": True},
        "delivered_at": {**DATETIME, "nullable": True},
        "updates": {"type": "array", "items": ref("TrackingUpdate")}}},
    "TrackingRequest": {"type": "object", "additionalProperties": False,
                        "description": "Carrier and number default to the last update's.",
                        "properties": TRACKING_FIELDS},
    "OrderStatusChange": {
        "type": "object", "additionalProperties": False, "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["fulfilled", "shipped", "delivered"]},
            "tracking": {"allOf": [ref("TrackingRequest")],
                         "description": "Required to ship: carrier and tracking_number."},
            "note": {"type": "string", "maxLength": 500, "nullable": True}}},
    "CancelRequest": {"type": "object", "additionalProperties": False, "properties": {
        "reason": {"type": "string", "maxLength": 64, "nullable": True}}},
})

PATHS.update({
    "/api/orders": {
        "post": operation(
            "Place an order", "orders", "201", ref("Order"), "403", "404", "409",
            body="OrderRequest", params=[IDEMPOTENCY_KEY],
            ok_description="Created: the order as it stands (`payment_pending`, or already "
                           "`paid` / `payment_failed`). 409 `cart_empty`, `out_of_stock` "
                           "(details.lines)."),
        "get": operation("List orders", "orders", "200", ref("OrderPage"), "403", "422",
                         params=ORDER_FILTERS),
    },
    "/api/orders/{order_id}": {"get": operation(
        "An order", "orders", "200", ref("OrderDetails"), "404", params=[ORDER_ID])},
    "/api/orders/{order_id}/cancel": {"post": {**operation(
        "Cancel an order", "orders", "200", ref("OrderDetails"), "400", "404", "409", "413",
        "422",
        params=[ORDER_ID],
        ok_description="Cancelled (not yet paid), or refund under way / refunded (paid). "
                       "409 `illegal_transition` once shipped."),
        "requestBody": {"required": False, "content": json_content(ref("CancelRequest"))}}},
    "/api/orders/{order_id}/status": {"post": operation(
        "Move an order's fulfilment", "orders", "200", ref("OrderDetails"), "403", "404",
        "409", body="OrderStatusChange", params=[ORDER_ID])},
    "/api/orders/{order_id}/tracking": {
        "get": operation("An order's tracking", "orders", "200", ref("Tracking"), "404",
                         params=[ORDER_ID]),
        "post": operation("Add a tracking update", "orders", "201", ref("Tracking"), "403",
                          "404", "409", body="TrackingRequest", params=[ORDER_ID],
                          ok_description="Created"),
    },
})


# ---- payments (gateway/routes/payments.py) ----------------------------------------------------

PAYMENT_ID = {"name": "payment_id", "in": "path", "required": True,
              "schema": {"type": "string", "pattern": "^pay_[0-9a-f]{32}$"}}
METHOD_ID = {"name": "method_id", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^pm_[0-9a-f]{32}$"}}
REFUND_KEY = {"name": "Idempotency-Key", "in": "header", "required": True,
              "description": "A fresh random value per refund. The same key is the same refund "
                             "however often it is sent (201 first, then 200 with "
                             "`replayed: true`). Missing: 400 `idempotency_key_required`.",
              "schema": {"type": "string", "minLength": 1, "maxLength": 255}}
SAVE_CARD_KEY = {**REFUND_KEY, "required": False,
                 "description": "Optional: a retry with the same key returns the card saved the "
                                "first time (200) instead of saving it again."}
PAYMENT_STATUS = {"type": "string", "enum": [
    "initiated", "held", "pending", "requires_action", "authorized", "completed", "failed",
    "cancelled"]}
# The provider's webhook carries no bearer token: its body is signed instead.
PAYMENT_SECURITY_SCHEMES = {"webhookSignature": {
    "type": "apiKey", "in": "header", "name": "Aarya-Signature",
    "description": "t=<unix seconds>,v1=<hex HMAC-SHA256(webhook secret, \"<t>.<raw body>\")>; "
                   "older than 5 minutes or an event id seen before: 409 `webhook_replayed`."}}
CARD_SUMMARY = {"brand": {"type": "string", "example": "visa"},
                "last4": {"type": "string", "pattern": "^[0-9]{4}$"},
                "exp_month": {"type": "integer"}, "exp_year": {"type": "integer"}}


def signed_by_provider(op):
    op["security"] = [{"webhookSignature": []}]
    op["responses"].update(errors("401"))
    return op


def also_replayed(op, description):
    op["responses"]["200"] = {"description": description,
                              "content": op["responses"]["201"]["content"]}
    return op


SCHEMAS.update({
    "NewCard": {"type": "object", "additionalProperties": False,
                "required": ["number", "exp_month", "exp_year", "cvc"],
                "description": "Sent once to the card provider's vault; never stored by Aarya.",
                "properties": {
                    "number": {"type": "string", "description": "12-19 digits; Luhn-checked "
                               "by the provider (422 `card_invalid`)."},
                    "exp_month": {"type": "integer", "minimum": 1, "maximum": 12},
                    "exp_year": {"type": "integer", "description": "Past: 422 `card_expired`."},
                    "cvc": {"type": "string", "pattern": "^[0-9]{3,4}$", "writeOnly": True},
                    "holder": {"type": "string", "maxLength": 100, "nullable": True}}},
    "SavedCard": {"type": "object", "properties": {
        "payment_method_id": {"type": "string"},
        "token": {"type": "string", "description": "Pay with it: POST /api/orders "
                                                   "payment_method {token}."},
        **CARD_SUMMARY}},
    "PaymentMethod": {"type": "object", "properties": {
        "id": {"type": "string"}, "token": {"type": "string"}, **CARD_SUMMARY,
        "created_at": DATETIME}},
    "PaymentMethodList": _items("PaymentMethod"),
    "PaymentMethodDeleted": {"type": "object", "properties": {
        "id": {"type": "string"}, "deleted": {"type": "boolean"}}},
    "Refund": {"type": "object", "properties": {
        "refund_id": {"type": "string"}, "payment_id": {"type": "string"},
        "amount": MONEY, "currency": CURRENCY,
        "status": {"type": "string", "enum": ["pending", "processed", "failed"]},
        "reason": NULLABLE_STRING, "failure_code": NULLABLE_STRING,
        "idempotency_key": {"type": "string"}, "created_at": DATETIME,
        "processed_at": {**DATETIME, "nullable": True},
        "replayed": {"type": "boolean",
                     "description": "True when this key had already made this refund."}}},
    "Payment": {"type": "object", "properties": {
        "payment_id": {"type": "string"}, "order_ref": {"type": "string"},
        "order_id": {"type": "integer"}, "user_id": {"type": "integer"},
        "amount": MONEY, "currency": CURRENCY, "status": PAYMENT_STATUS,
        "failure_code": {**NULLABLE_STRING, "example": "card_declined"},
        "next_action": {"type": "object", "nullable": True,
                        "description": "requires_action: what the shopper must do."},
        "method": {"type": "object", "properties": {
            "type": {"type": "string", "enum": ["card"]}, "brand": {"type": "string"},
            "last4": {"type": "string"}, "payment_method_id": NULLABLE_STRING}},
        "captured_amount": MONEY, "refunded_amount": MONEY, "refundable_amount": MONEY,
        "refunds": {"type": "array", "items": ref("Refund")},
        "attempts": {"type": "array", "description": "Staff only: every call to the provider.",
                     "items": {"type": "object", "properties": {
                         "id": {"type": "integer"},
                         "kind": {"type": "string",
                                  "enum": ["authorize", "capture", "void", "refund"]},
                         "status": {"type": "string"}, "provider_ref": NULLABLE_STRING,
                         "error": NULLABLE_STRING, "latency_ms": {"type": "integer",
                                                                  "nullable": True},
                         "started_at": DATETIME}}},
        "fraud": {"type": "object", "nullable": True, "description": "Staff only.",
                  "properties": {
                      "risk_score": {"type": "integer", "minimum": 0, "maximum": 100},
                      "reasons": {"type": "array", "items": {"type": "object"}},
                      "decision": {"type": "string", "enum": [
                          "allow", "hold", "approved", "rejected", "expired"]},
                      "reviewed_by": {"type": "integer", "nullable": True}}},
        "created_at": DATETIME, "updated_at": DATETIME,
        "completed_at": {**DATETIME, "nullable": True},
        "failed_at": {**DATETIME, "nullable": True},
        "cancelled_at": {**DATETIME, "nullable": True}}},
    "RefundRequest": {"type": "object", "additionalProperties": False, "properties": {
        "amount": {**MONEY, "minimum": 1, "description": "Default: all that is left; more "
                                                         "than that is 409 "
                                                         "`refund_exceeds_captured`."},
        "reason": {"type": "string", "maxLength": 200, "nullable": True}}},
    "ReviewRequest": {"type": "object", "additionalProperties": False,
                      "required": ["decision"], "properties": {
                          "decision": {"type": "string", "enum": ["approve", "reject"]},
                          "note": {"type": "string", "maxLength": 500, "nullable": True}}},
    "WebhookEvent": {"type": "object", "required": ["id", "type", "data"], "properties": {
        "id": {"type": "string", "example": "evt_0f3c…"},
        "type": {"type": "string",
                 "enum": ["authorization.succeeded", "authorization.failed"]},
        "created": {"type": "integer"},
        "data": {"type": "object", "properties": {
            "provider_ref": {"type": "string"}, "reference": {"type": "string"},
            "amount": MONEY, "currency": CURRENCY, "failure_code": NULLABLE_STRING}}}},
    "WebhookReceipt": {"type": "object", "properties": {
        "received": {"type": "boolean"}, "event_id": {"type": "string"},
        "payment_id": NULLABLE_STRING, "status": {**PAYMENT_STATUS, "nullable": True},
        "applied": {"type": "boolean", "description": "False: nothing was waiting for it."}}},
})

PATHS.update({
    "/api/payments/methods": {
        "get": operation("My saved cards", "payments", "200", ref("PaymentMethodList")),
        "post": also_replayed(operation(
            "Save a card", "payments", "201", ref("SavedCard"), "404", "409",
            body="NewCard", params=[SAVE_CARD_KEY], ok_description="Saved"),
            "The card this Idempotency-Key saved before"),
    },
    "/api/payments/methods/{method_id}": {"delete": operation(
        "Delete a saved card", "payments", "200", ref("PaymentMethodDeleted"), "404",
        params=[METHOD_ID])},
    "/api/payments/{payment_id}": {"get": operation(
        "A payment", "payments", "200", ref("Payment"), "404", "422", params=[PAYMENT_ID],
        ok_description="Mine (staff: any, with provider attempts and the fraud flag)")},
    "/api/payments/{payment_id}/refunds": {"post": also_replayed(operation(
        "Refund a payment", "payments", "201", ref("Refund"), "403", "404", "409",
        body="RefundRequest", params=[PAYMENT_ID, REFUND_KEY], ok_description="Refunded"),
        "This Idempotency-Key's refund, made before")},
    "/api/payments/{payment_id}/review": {"post": operation(
        "Review a payment held for fraud", "payments", "200", ref("Payment"), "403", "404",
        "409", body="ReviewRequest", params=[PAYMENT_ID],
        ok_description="approve: charged now (completed, or failed); reject: failed")},
    "/api/payments/webhook": {"post": signed_by_provider(operation(
        "Receive a card provider event", "payments", "200", ref("WebhookReceipt"), "409",
        body="WebhookEvent", auth=False,
        ok_description="Applied (or nothing was waiting for it)"))},
})


# ---- real time: /sse and /ws (gateway/routes/realtime.py; described in gateway/realtime) ------

from gateway.realtime import api_doc as realtime_doc  # noqa: E402

PATHS.update(realtime_doc.PATHS)

# ---- newer areas: one module each in gateway/apidoc/ -------------------------------------------

from gateway import apidoc  # noqa: E402

TAGS = ["health", "auth", "users", "catalog", "cart", "system", "notifications", "chat",
        "promotions", "orders", "payments", "realtime"]
EXTRA_SECURITY_SCHEMES = {}
for _part in apidoc.parts():
    PATHS.update(_part.PATHS)
    SCHEMAS.update(getattr(_part, "SCHEMAS", {}))
    TAGS.extend(t for t in getattr(_part, "TAGS", ()) if t not in TAGS)
    EXTRA_SECURITY_SCHEMES.update(getattr(_part, "SECURITY_SCHEMES", {}))


def document():
    responses = {f"Error{status}": {"description": text, "content": json_content(ref("Error"))}
                 for status, text in {**ERROR_STATUSES,
                                      "500": "Unexpected failure (`internal_error`)."}.items()}
    responses["Error429"]["headers"] = {"Retry-After": {
        "description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Aarya gateway",
            "version": "1.0.0",
            "description": "REST API of the Aarya commerce platform. Every error is "
                           "`{\"error\": {\"code\", \"message\", \"details\"}}`; every response "
                           "carries `X-Correlation-ID` (sent by the client or made here).",
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": tag} for tag in TAGS],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": responses,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"},
                                **realtime_doc.SECURITY_SCHEMES, **PAYMENT_SECURITY_SCHEMES,
                                **EXTRA_SECURITY_SCHEMES},
        },
    }


@bp.get("/api/openapi.json")
def openapi_json():
    return document()
