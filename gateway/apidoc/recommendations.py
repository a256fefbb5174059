"""OpenAPI part of the recommendation routes (gateway/routes/recommendations.py).

GET /api/recommendations/for-me?limit=10
  {"items": [RecommendedProduct…], "model_version": 3 | null, "strategy": "hybrid"}
Each item says why it is there: `similar_shoppers` (collaborative filtering), `similar_style`
(content), `popular` (no history yet, or popularity weighed most), `bought_together`,
`goes_with_cart`. Lists hold only in-stock products, never one the shopper bought, and at most
40 % from one category.
"""
from services.recommendations import schemas as recommendations
from gateway.openapi import _query, operation, optional_auth, ref

TAGS = ["recommendations"]

LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
               "Over 50 is 422 `limit_too_large`.")
PRODUCT_ID = {"name": "product_id", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1}}
VERSION = {"name": "version", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1}}
X_CACHE = {"X-Cache": {"description": "`hit` (served from Redis, no RPC) or `miss`.",
                       "schema": {"type": "string"}}}

SCHEMAS = {
    "RecommendedProduct": recommendations.RecommendedProductOut,
    "RecommendationList": recommendations.RecommendationListOut,
    "RecommendationClick": {
        "type": "object", "required": ["product_id", "surface"], "additionalProperties": False,
        "properties": {
            "product_id": {"type": "integer", "minimum": 1},
            "surface": {"type": "string",
                        "enum": ["for_me", "similar", "bought_together", "cart"]},
            "model_version": {"type": "integer", "minimum": 0, "nullable": True,
                              "description": "The list's model_version; unknown is 404 "
                                             "`model_not_found`; left out: the active one."},
        },
    },
    "RecommendationClickRecorded": recommendations.ClickRecordedOut,
    "RecommendationModel": recommendations.ModelOut,
    "RecommendationModels": recommendations.ModelListOut,
    "RecommendationCtr": recommendations.ClickThroughOut,
}


def _list(summary, *errors, params=()):
    op = optional_auth(operation(summary, "recommendations", "200", ref("RecommendationList"),
                                 "422", *errors, params=[*params, LIMIT]))
    op["responses"]["200"]["headers"] = dict(X_CACHE)
    return op


PATHS = {
    "/api/recommendations/for-me": {"get": _list(
        "Recommendations for the signed-in shopper (popular for a guest)")},
    "/api/products/{product_id}/similar": {"get": _list(
        "Products similar to this one", "404", params=[PRODUCT_ID])},
    "/api/products/{product_id}/bought-together": {"get": _list(
        "Products bought together with this one", "404", params=[PRODUCT_ID])},
    "/api/cart/recommendations": {"get": optional_auth(operation(
        "Recommendations for the caller's cart", "recommendations", "200",
        ref("RecommendationList"), "422", params=[LIMIT]))},
    "/api/recommendations/clicks": {"post": operation(
        "Record a click on a recommended product", "recommendations", "202",
        ref("RecommendationClickRecorded"), "404", body="RecommendationClick",
        ok_description="Accepted")},
    "/api/recommendations/models": {"get": operation(
        "Model versions (admin)", "recommendations", "200", ref("RecommendationModels"),
        "403")},
    "/api/recommendations/models/{version}": {"get": operation(
        "One model version (admin)", "recommendations", "200", ref("RecommendationModel"),
        "403", "404", params=[VERSION])},
    "/api/recommendations/models/{version}/ctr": {"get": operation(
        "Click-through rate of a model version (admin)", "recommendations", "200",
        ref("RecommendationCtr"), "403", "404", params=[VERSION])},
    "/api/recommendations/models/{version}/activate": {"post": operation(
        "Serve this model version (admin)", "recommendations", "200",
        ref("RecommendationModel"), "403", "404", params=[VERSION])},
    "/api/recommendations/models/rollback": {"post": operation(
        "Serve the previously active model again (admin)", "recommendations", "200",
        ref("RecommendationModel"), "403", "409")},
}
