"""/api/cart: the caller's cart — a signed-in user's (the same on every device) or a guest's.

Guests are known by the cart session the gateway issues (cookie `aarya_cart`, header
`X-Cart-Session`; see gateway.shopper); nobody names a cart in the URL, so nobody reaches
another's. Every route is one cart-service RPC and answers the whole cart, priced now.
"""
from flask import Blueprint

from gateway.params import json_object
from gateway.routes.catalog import existing_id
from gateway.rpc import rpc
from gateway.shopper import cart_owner

bp = Blueprint("cart", __name__, url_prefix="/api/cart")


@bp.get("")
def get_cart():
    return rpc("cart").get_cart(cart_owner())


@bp.delete("")
def clear_cart():
    return rpc("cart").clear_cart(cart_owner())


@bp.post("/items")
def add_item():
    """Add `quantity` of a variant (to the line if it is already in the cart)."""
    owner = cart_owner()
    body = json_object()
    variant_id = body.get("variant_id")
    if isinstance(variant_id, int) and not isinstance(variant_id, bool) and variant_id > 0:
        existing_id("variant", variant_id)
    return rpc("cart").add_item(owner, variant_id, body.get("quantity"))


@bp.patch("/items/<int:variant_id>")
def update_item(variant_id):
    """Set a line's quantity; 0 removes it."""
    owner = cart_owner()
    existing_id("variant", variant_id)
    return rpc("cart").update_item(owner, variant_id, json_object().get("quantity"))


@bp.delete("/items/<int:variant_id>")
def remove_item(variant_id):
    owner = cart_owner()
    existing_id("variant", variant_id)
    return rpc("cart").remove_item(owner, variant_id)
