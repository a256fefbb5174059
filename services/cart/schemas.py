"""Input schemas of the cart service: every RPC validates here before touching Redis."""
from marshmallow import RAISE, Schema, fields, validate

from kit.schemas import Whole, exactly_one_of

# The gateway issues guest session ids (cookie or header); long and random, never guessable.
SESSION_ID = validate.Regexp(r"^[A-Za-z0-9_-]{16,128}$",
                             error="16-128 characters: letters, digits, '_', '-'.")
ORDER_REF = validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$",
                            error="1-64 characters: letters, digits, '_', '.', ':', '-'.")
MAX_QUANTITY = 1_000_000  # a sanity bound only; the stock is the real cap


class OwnerSchema(Schema):
    """Whose cart: exactly one of a signed-in user's id or a guest's session id."""

    class Meta:
        unknown = RAISE

    user_id = Whole(validate=validate.Range(min=1))
    session_id = fields.String(validate=SESSION_ID)

    _exactly_one = exactly_one_of("user_id", "session_id",
                                  message="Give exactly one of user_id or session_id.")


class OwnerArg(Schema):
    class Meta:
        unknown = RAISE

    owner = fields.Nested(OwnerSchema, required=True)


class AddItemSchema(OwnerArg):
    variant_id = Whole(required=True, validate=validate.Range(min=1))
    quantity = Whole(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class UpdateItemSchema(OwnerArg):
    variant_id = Whole(required=True, validate=validate.Range(min=1))
    quantity = Whole(required=True, validate=validate.Range(min=0, max=MAX_QUANTITY))


class RemoveItemSchema(OwnerArg):
    variant_id = Whole(required=True, validate=validate.Range(min=1))


class MergeSchema(Schema):
    class Meta:
        unknown = RAISE

    session_id = fields.String(required=True, validate=SESSION_ID)
    user_id = Whole(required=True, validate=validate.Range(min=1))


class HoldSchema(OwnerArg):
    order_ref = fields.String(required=True, validate=ORDER_REF)
    ttl_s = Whole(load_default=None, allow_none=True, validate=validate.Range(min=30, max=3600))


class OrderRefSchema(Schema):
    class Meta:
        unknown = RAISE

    order_ref = fields.String(required=True, validate=ORDER_REF)


# ---- responses: what presenters.py returns (described in /api/openapi.json) ----------------

PROBLEMS = ["variant_not_found", "product_inactive", "out_of_stock", "insufficient_stock"]


class CartLineOut(Schema):
    """presenters.line: priced from the products service at read time."""
    variant_id = fields.Integer(required=True)
    product_id = fields.Integer(required=True, allow_none=True)
    sku = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    size = fields.String(required=True, allow_none=True)
    colour = fields.String(required=True, allow_none=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Integer(required=True, allow_none=True)
    currency = fields.String(required=True, allow_none=True)
    line_total = fields.Integer(required=True, allow_none=True)
    available_quantity = fields.Integer(required=True)
    in_stock = fields.Boolean(required=True)
    availability = fields.String(required=True)
    is_active = fields.Boolean(required=True)
    problems = fields.List(fields.String(validate=validate.OneOf(PROBLEMS)), required=True)


class CartOwnerOut(Schema):
    user_id = fields.Integer()
    session_id = fields.String()


class CartOut(Schema):
    """presenters.cart."""
    cart_id = fields.String(required=True)
    owner = fields.Nested(CartOwnerOut, required=True)
    lines = fields.List(fields.Nested(CartLineOut), required=True)
    item_count = fields.Integer(required=True)
    total_quantity = fields.Integer(required=True)
    subtotal = fields.Integer(required=True, allow_none=True)
    currency = fields.String(required=True, allow_none=True)
    checkout_ready = fields.Boolean(required=True)
    updated_at = fields.DateTime(required=True, allow_none=True)
    expires_at = fields.DateTime(required=True, allow_none=True)
