"""/api/promotions: live promotions for anyone; staff (support, admin) create, change and end
them. The actor the notifications service checks is built from the token, never from the body.

Going live and ending happen by the clock in the notifications service, which announces each
on the promotions stream (/sse/promotions); these routes never wait for it.
"""
from flask import Blueprint, request

from gateway.auth import require_role
from gateway.params import json_object, query_int
from gateway.rpc import rpc
from gateway.shopper import signed_in_or_none
from kit.errors import NotFound

bp = Blueprint("promotions", __name__, url_prefix="/api/promotions")

STAFF_ROLES = ("support", "admin")
MAX_ID = 2 ** 63 - 1


def staff_actor():
    """The caller as the notifications service's `actor`: 403 unless support or admin staff."""
    me = require_role(*STAFF_ROLES)
    return {"user_id": me.user_id, "role": me.role}


def existing_promotion(promotion_id):
    if not 1 <= promotion_id <= MAX_ID:
        raise NotFound("promotion_not_found", f"No such promotion: {promotion_id}.",
                       {"promotion_id": promotion_id})
    return promotion_id


@bp.get("")
def list_promotions():
    """Live now, for anyone. Staff may ask for ?status=scheduled|live|ended|all instead, newest
    first, paged by before_id."""
    status = request.args.get("status")
    if not status:
        signed_in_or_none()  # a token, if sent, must be valid
        return {"items": rpc("notifications").active_promotions()}
    actor = staff_actor()
    limit = query_int("limit", default=50, minimum=1, maximum=100)
    before_id = query_int("before_id", minimum=1, maximum=MAX_ID)
    items = rpc("notifications").list_promotions(
        actor, status=None if status == "all" else status, limit=limit, before_id=before_id)
    more = len(items) == limit and items
    return {"items": items, "next_before_id": items[-1]["id"] if more else None}


@bp.post("")
def create_promotion():
    actor = staff_actor()
    return rpc("notifications").create_promotion(actor, json_object()), 201


@bp.patch("/<int:promotion_id>")
def update_promotion(promotion_id):
    actor = staff_actor()
    changes = json_object()
    return rpc("notifications").update_promotion(actor, existing_promotion(promotion_id),
                                                 changes)


@bp.post("/<int:promotion_id>/end")
def end_promotion(promotion_id):
    actor = staff_actor()
    return rpc("notifications").end_promotion(actor, existing_promotion(promotion_id))
