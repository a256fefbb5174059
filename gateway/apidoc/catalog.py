"""OpenAPI part of the catalog and the cart (gateway/routes/catalog.py, cart.py)."""
from kit import schemas as kit_schemas
from services.cart import schemas as cart
from services.products import schemas as products
from gateway.openapi import (cached, _id_param, operation, optional_auth, _query, ref,
                             with_cart_session)


PRODUCT_ID, VARIANT_ID, REVIEW_ID = (_id_param("product_id"), _id_param("variant_id"),
                                     _id_param("review_id"))
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

SCHEMAS = {
    # nested shapes first, so the shapes that nest them refer to these names
    "Ref": kit_schemas.RefOut,  # also what search hits and recommendations nest
    "Rating": products.RatingOut,
    "RatingSummary": products.RatingSummaryOut,
    "CategoryInPath": products.CategoryInPathOut,
    "ProductCard": products.ProductCardOut,
    "ProductPage": products.ProductPageOut,
    "TrendingProduct": products.TrendingProductOut,
    "TrendingList": products.TrendingListOut,
    "Variant": products.VariantOut,
    "Image": products.ImageOut,
    "Product": products.ProductOut,
    "Category": products.CategoryOut,
    "CategoryList": products.CategoryListOut,
    "Brand": products.BrandOut,
    "BrandList": products.BrandListOut,
    "Review": products.ReviewOut,
    "ReviewPage": products.ReviewPageOut,
    "ReviewRequest": products.ReviewSchema(only=["rating", "title", "body"]),
    "ReviewChanges": products.ReviewUpdateSchema,
    "VariantRequest": products.VariantCreateSchema,
    "VariantChanges": products.VariantUpdateSchema,
    "ImageRequest": products.ImageSchema,
    "ProductRequest": products.ProductCreateSchema,
    "ProductChanges": products.ProductUpdateSchema,
    "StockCount": products.SetStockSchema(exclude=["variant_id"]),
    "StockAdjustment": products.AdjustStockSchema(exclude=["variant_id"]),
    "Ping": {"type": "object", "required": ["products"], "additionalProperties": False,
             "properties": {"products": {"type": "string", "enum": ["pong"]}}},
    "CartLine": cart.CartLineOut,
    "Cart": cart.CartOut,
    "CartItemRequest": cart.AddItemSchema(exclude=["owner"]),
    "CartQuantity": cart.UpdateItemSchema(only=["quantity"]),
}

PATHS = {
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
}
