"""/api/users: the caller's own account, other people's public profiles, follows, blocks,
activity. Every route needs a signed-in user; "me" is always the token's user, never a
parameter, so nobody reads or changes another account through here."""
from flask import Blueprint

from gateway.auth import require_user
from gateway.params import json_object, query_int
from gateway.rpc import rpc

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

@bp.get("/me")
def get_me():
    return rpc("users").get_user(require_user().user_id)


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
