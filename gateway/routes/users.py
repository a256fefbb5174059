"""/api/users: the caller's own account, other people's public profiles, follows, blocks,
activity. Every route needs a signed-in user; "me" is always the token's user, never a
parameter, so nobody reads or changes another account through here.

GET /me is served from the users service's cache entry (kit/me_cache) when it was made at the
current epoch and generation: its reads ride in the rate limiter's round trip, so a cached
read is that one trip and no RPC (`X-Cache: hit`); else the users service answers and caches.
The token and its revocation are checked as for every route."""
import redis
from flask import Blueprint, Response

from gateway import round_trip
from gateway.auth import caller_of_bearer, require_user
from gateway.params import json_object, query_int
from gateway.redis_client import redis_client
from gateway.rpc import rpc
from kit import me_cache

bp = Blueprint("users", __name__, url_prefix="/api/users")

MAX_PAGE = 100
DEFAULT_PAGE = 50


def page_limit():
    return query_int("limit", default=DEFAULT_PAGE, minimum=1, maximum=MAX_PAGE)


def activity_page(items, limit):
    """Newest first; `next_before_id` fetches the following page while one may exist."""
    more = len(items) == limit and items
    return {"items": items, "next_before_id": items[-1]["id"] if more else None}


# ---- the caller's own account ----------------------------------------------------------------

@round_trip.rides_with("users.get_me")
def _me_reads(pipe, view_args):
    caller = caller_of_bearer()
    if caller is None:
        return lambda replies: None
    pipe.mget(me_cache.keys(caller[0]))
    return lambda replies: (caller[0], replies[0])


@bp.get("/me")
def get_me():
    me = require_user()
    ridden = round_trip.answer()
    if ridden is not None and ridden[0] == me.user_id:
        replies = ridden[1]
    else:  # no limiter trip carried the reads (limits off, Redis down): one of our own
        try:
            replies = redis_client().mget(me_cache.keys(me.user_id))
        except redis.RedisError:
            replies = None
    text = me_cache.fresh_json(replies) if replies is not None else None
    if text is not None:
        return Response(text, 200, {"X-Cache": "hit"}, mimetype="application/json")
    return rpc("users").get_user(me.user_id), 200, {"X-Cache": "miss"}


@bp.patch("/me")
def update_me():
    me = require_user()
    return rpc("users").update_profile(me.user_id, json_object())


@bp.get("/me/followers")
def my_followers():
    me = require_user()
    return {"items": rpc("users").list_followers(me.user_id, limit=page_limit())}


@bp.get("/me/following")
def my_following():
    me = require_user()
    return {"items": rpc("users").list_following(me.user_id, limit=page_limit())}


@bp.get("/me/activity")
def my_activity():
    me = require_user()
    limit, before_id = page_limit(), query_int("before_id", minimum=1)
    return activity_page(rpc("users").list_activity(me.user_id, limit, before_id), limit)


@bp.get("/me/feed")
def my_feed():
    me = require_user()
    limit, before_id = page_limit(), query_int("before_id", minimum=1)
    return activity_page(rpc("users").activity_feed(me.user_id, limit, before_id), limit)


# ---- other people ----------------------------------------------------------------------------

@bp.get("/<int:user_id>")
def public_profile(user_id):
    me = require_user()
    return rpc("users").get_public_profile(user_id, viewer_id=me.user_id)


@bp.post("/<int:user_id>/follow")
def follow(user_id):
    return rpc("users").follow(require_user().user_id, user_id)


@bp.delete("/<int:user_id>/follow")
def unfollow(user_id):
    return rpc("users").unfollow(require_user().user_id, user_id)


@bp.post("/<int:user_id>/block")
def block(user_id):
    return rpc("users").block(require_user().user_id, user_id)


@bp.delete("/<int:user_id>/block")
def unblock(user_id):
    return rpc("users").unblock(require_user().user_id, user_id)
