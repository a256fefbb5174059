"""/api/orders: checkout, my orders (staff: everyone's), cancel, fulfilment and tracking.

Every route is one orders-service RPC with the caller as `actor`; the service decides who sees
what (somebody else's order is 404 order_not_found, exactly like a missing one).
POST /api/orders needs an `Idempotency-Key` header: the gateway forwards it with a SHA-256 of
the raw body, and the orders service stores the response, so a retry through any gateway
process gets the same answer and never a second order.
"""
import hashlib

from flask import Blueprint, request

from gateway import ratelimit
from gateway.auth import require_role, require_user
from gateway.params import json_object
from gateway.rpc import rpc
from kit.errors import BadRequest

bp = Blueprint("orders", __name__, url_prefix="/api/orders")

IDEMPOTENCY_HEADER = "Idempotency-Key"
LIST_FILTERS = ("status", "user_id", "payment_status", "before_id", "limit")
STAFF = ("support", "admin")


def actor(principal):
    return {"user_id": principal.user_id, "role": principal.role}


def optional_json_object():
    """The body as a dict; an empty body is {} (cancel needs no reason)."""
    return json_object() if request.get_data(cache=True).strip() else {}


@bp.post("")
def create_order():
    """Place an order from my cart (staff may send `items`) and start paying for it."""
    me = require_user()
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        raise BadRequest("idempotency_key_required",
                         f"Send an {IDEMPOTENCY_HEADER} header (a fresh random value per "
                         "checkout; reuse it only to retry the same request).")
    body = json_object()
    digest = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    order = rpc("orders").create_order(actor(me), key, body, request_hash=digest,
                                       ip=ratelimit.client_ip())
    return order, 201, {"Location": f"/api/orders/{order['id']}"}


@bp.get("")
def list_orders():
    """My orders, newest first; staff see everyone's, filtered by ?status=&user_id=."""
    me = require_user()
    filters = {name: request.args[name] for name in LIST_FILTERS
               if request.args.get(name) not in (None, "")}
    return rpc("orders").list_orders(filters, actor=actor(me))


@bp.get("/<int:order_id>")
def get_order(order_id):
    return rpc("orders").get_order(order_id, actor=actor(require_user()))


@bp.post("/<int:order_id>/cancel")
def cancel_order(order_id):
    me = require_user()
    reason = optional_json_object().get("reason")
    return rpc("orders").cancel_order(actor(me), order_id, reason)


@bp.post("/<int:order_id>/status")
def update_status(order_id):
    """Staff: {status: fulfilled | shipped | delivered, tracking?, note?}."""
    staff = require_role(*STAFF)
    return rpc("orders").update_status(actor(staff), order_id, json_object())


@bp.post("/<int:order_id>/tracking")
def add_tracking(order_id):
    """Staff: a tracking update for a shipped order."""
    staff = require_role(*STAFF)
    return rpc("orders").add_tracking(actor(staff), order_id, json_object()), 201


@bp.get("/<int:order_id>/tracking")
def get_tracking(order_id):
    return rpc("orders").get_tracking(order_id, actor=actor(require_user()))
