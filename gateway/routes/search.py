"""/api/search…: product search, autocomplete, click tracking, trending; staff search over
users and orders (a shopper may search their own orders).

Shoppers search signed out; a token, if sent, must be valid and personalises the ranking.
The search service validates every parameter and says which one is wrong (422 with a stable
code); Elasticsearch down is its `search_unavailable` (503), answered within a second, while
the rest of the shop carries on.
"""
from flask import Blueprint, request

from gateway.auth import require_user
from gateway.params import json_object, query_int
from gateway.rpc import rpc
from gateway.shopper import signed_in_or_none

bp = Blueprint("search", __name__, url_prefix="/api/search")

LIST_PARAMS = ("brand", "size", "colour")


def query_params():
    """The query string as the service expects it: repeatable filters as lists."""
    params = {}
    for name in request.args:
        values = request.args.getlist(name)
        params[name] = values if name in LIST_PARAMS else values[-1]
    return params


def actor(me):
    return {"user_id": me.user_id, "role": me.role}


@bp.get("")
def search():
    me = signed_in_or_none()
    return rpc("search").search(query_params(), user_id=me.user_id if me else None)


@bp.get("/suggest")
def suggest():
    signed_in_or_none()
    limit = query_int("limit", default=8, minimum=1, maximum=20)
    return rpc("search").suggest(request.args.get("q", ""), limit)


@bp.post("/click")
def click():
    me = signed_in_or_none()
    body = json_object()
    result = rpc("search").record_click(body.get("search_id"), body.get("product_id"),
                                        body.get("position"),
                                        user_id=me.user_id if me else None)
    return result, 202


@bp.get("/trending")
def trending():
    signed_in_or_none()
    limit = query_int("limit", default=10, minimum=1, maximum=50)
    days = query_int("days", default=7, minimum=1, maximum=30)
    return rpc("search").trending(days, limit)


@bp.get("/users")
def search_users():
    return rpc("search").search_users(query_params(), actor(require_user()))


@bp.get("/orders")
def search_orders():
    return rpc("search").search_orders(query_params(), actor(require_user()))
