"""/api/recommendations…, /api/products/{id}/similar, …/bought-together, /api/cart/recommendations.

Lists are read straight from Redis when the service made them at the current generations
(kit/recs_cache.py: the key names come from config), so a cached list
costs no RPC; a stale or missing one is made by the recommendations service, which caches it
for the next reader. What a signed-in shopper bought is left out of every list here too, so
a purchase disappears at once even from a shared list (similar, bought together) cached for
everyone. Every item carries a `reason`; a shopper or product we know nothing of yet gets
popularity (`reason: "popular"`), never an error. Staff see the model versions, their
click-through rates, and activate or roll back a version.
"""
from flask import Blueprint, Response, current_app
from prometheus_client import Counter

from gateway import round_trip
from gateway.auth import caller_of_bearer, require_role, require_user
from gateway.params import json_object, query_int
from gateway.redis_client import redis_client
from gateway.rpc import rpc
from gateway.shopper import cart_owner, signed_in_or_none
from kit.errors import ValidationFailed
from kit import recs_cache

bp = Blueprint("recommendations", __name__, url_prefix="/api")

DEFAULT_LIMIT = 10
MAX_LIMIT = recs_cache.MAX_LIMIT
STAFF = ("admin",)
# What ops (and the tests) see of the cache: a hit is one Redis pipeline and no RPC.
LISTS = Counter("aarya_recommendation_lists_total",
                "Recommendation lists served by the gateway, by surface and cache hit/miss",
                ["surface", "cache"])


def keys():
    found = current_app.extensions.get("aarya.recs_keys")
    if found is None:
        found = current_app.extensions["aarya.recs_keys"] = recs_cache.Keys.from_config(
            current_app.config["AARYA"])
    return found


def limit_arg():
    """`limit` (1..50, default 10): over the cap is 422 `limit_too_large`."""
    limit = query_int("limit", default=DEFAULT_LIMIT, minimum=1)
    if limit > MAX_LIMIT:
        raise ValidationFailed("limit_too_large", f"limit may be at most {MAX_LIMIT}.",
                               {"fields": {"limit": [f"Must be at most {MAX_LIMIT}."]},
                                "max": MAX_LIMIT})
    return limit


def served(body, limit, bought, surface):
    """A list the service just made (a cache miss)."""
    LISTS.labels(surface, "miss").inc()
    return recs_cache.sliced(body, limit, bought), 200, {"X-Cache": "miss"}


def _queue_list_reads(pipe, key, user_id=None, ugen=False):
    """Add a cached list's reads to `pipe`: the generations it was made at, the list, and what
    the shopper bought. Returns what turns their replies into (gen, user_gen, raw, bought)."""
    k = keys()
    pipe.get(k.gen)
    if ugen:
        pipe.get(k.user_gen(user_id))
    pipe.get(key)
    if user_id:
        pipe.smembers(k.bought(user_id))

    def parse(found):
        return (found[0], found[1] if ugen else None, found[2 if ugen else 1],
                found[-1] if user_id else set())
    return parse


def read_cached(key, limit, surface, user_id=None, ugen=False):
    """The response for a list cached at the current generations (the JSON text served as
    stored), or (None, what the shopper bought). The reads usually came in the rate limiter's
    round trip (the riders below); else they are one pipeline of their own."""
    ridden = round_trip.answer()
    if ridden is not None and ridden[0] == (key, user_id, ugen):
        gen, user_gen, raw, bought = ridden[1]
    else:
        pipe = redis_client().pipeline(transaction=False)
        gen, user_gen, raw, bought = _queue_list_reads(pipe, key, user_id, ugen)(pipe.execute())
    text = recs_cache.fresh_json(raw, gen, user_gen, limit, bought)
    if text is None:
        return None, bought
    LISTS.labels(surface, "hit").inc()
    return Response(text, 200, {"X-Cache": "hit"}, mimetype="application/json"), bought


def _caller_id():
    """Whom the Bearer token names, checked locally; the view still authenticates (a revoked
    or bad token gets its 401 there, and then this read is simply not used)."""
    caller = caller_of_bearer()
    return caller[0] if caller is not None else None


def _ride(pipe, key, user_id=None, ugen=False):
    """Queue a list's reads in the limiter's pipeline; the view knows them by (key, user, ugen)."""
    parse = _queue_list_reads(pipe, key, user_id, ugen)
    return lambda replies: ((key, user_id, ugen), parse(replies))


@round_trip.rides_with("recommendations.for_me")
def _for_me_reads(pipe, view_args):
    user_id = _caller_id()
    if user_id is None:
        return _ride(pipe, keys().popular)
    return _ride(pipe, keys().for_user(user_id), user_id, ugen=True)


@round_trip.rides_with("recommendations.similar")
def _similar_reads(pipe, view_args):
    return _ride(pipe, keys().similar(view_args.get("product_id")), _caller_id())


@round_trip.rides_with("recommendations.bought_together")
def _together_reads(pipe, view_args):
    return _ride(pipe, keys().together(view_args.get("product_id")), _caller_id())


@bp.get("/recommendations/for-me")
def for_me():
    """Picked for the signed-in shopper; a guest (or a shopper with no history) gets popular."""
    me = signed_in_or_none()
    limit = limit_arg()
    if me is None:
        hit, _ = read_cached(keys().popular, limit, "popular")
        if hit is not None:
            return hit
        return served(rpc("recommendations").popular(MAX_LIMIT), limit, (), "popular")
    hit, bought = read_cached(keys().for_user(me.user_id), limit, "for_me", me.user_id,
                              ugen=True)
    if hit is not None:
        return hit
    return served(rpc("recommendations").for_user(me.user_id, MAX_LIMIT), limit, bought,
                  "for_me")


def product_list(product_id, key_of, method):
    me = signed_in_or_none()
    limit = limit_arg()
    user_id = me.user_id if me else None
    hit, bought = read_cached(key_of(product_id), limit, method, user_id)
    if hit is not None:
        return hit
    made = getattr(rpc("recommendations"), method)(product_id, MAX_LIMIT, user_id)
    return served(made, limit, bought, method)


@bp.get("/products/<int:product_id>/similar")
def similar(product_id):
    return product_list(product_id, keys().similar, "similar")


@bp.get("/products/<int:product_id>/bought-together")
def bought_together(product_id):
    return product_list(product_id, keys().together, "bought_together")


@bp.get("/cart/recommendations")
def cart_recommendations():
    """What goes with the caller's cart (a guest's too), leaving out what is in it: cached
    under the cart's contents, so a changed cart is a new key and an unchanged one a hit."""
    limit = limit_arg()
    owner = cart_owner()
    cart = rpc("cart").get_cart(owner)
    product_ids = sorted({line["product_id"] for line in cart.get("lines") or []
                          if line.get("product_id")})
    user_id = owner.get("user_id")
    hit, bought = read_cached(keys().cart(product_ids), limit, "cart", user_id)
    if hit is not None:
        return hit
    made = rpc("recommendations").for_cart(product_ids, user_id, MAX_LIMIT)
    return served(made, limit, bought, "cart")


@bp.post("/recommendations/clicks")
def record_click():
    """The shopper opened a recommended product (`recommendation.clicked`)."""
    me = require_user()
    body = json_object()
    return rpc("recommendations").record_click(me.user_id, body.get("product_id"),
                                               body.get("surface"),
                                               body.get("model_version")), 202


@bp.get("/recommendations/models")
def list_models():
    require_role(*STAFF)
    return {"items": rpc("recommendations").list_models()}


@bp.get("/recommendations/models/<int:version>")
def get_model(version):
    require_role(*STAFF)
    return rpc("recommendations").get_model(version)


@bp.get("/recommendations/models/<int:version>/ctr")
def model_ctr(version):
    require_role(*STAFF)
    rates = rpc("recommendations").click_through_rates(version)
    return rates[0] if rates else {"model_version": version, "shown": 0, "clicked": 0,
                                   "purchased": 0, "ctr": 0.0, "purchase_rate": 0.0}


@bp.post("/recommendations/models/<int:version>/activate")
def activate_model(version):
    require_role(*STAFF)
    return rpc("recommendations").activate_model(version)


@bp.post("/recommendations/models/rollback")
def rollback_model():
    require_role(*STAFF)
    return rpc("recommendations").rollback_model()
