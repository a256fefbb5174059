"""Input schemas of the orders service: every RPC validates here before touching anything.

Unknown fields are refused by name (details.fields.<field> = ["Unknown field."]), so a client
that misspells `postal_code` hears about it instead of shipping to a half address.
Card details are checked for shape only (the payments service decides whether they pay) and
are never stored: an order keeps the card's last four digits.
"""
import re
from datetime import datetime, timezone

from marshmallow import (Schema, ValidationError, fields, post_load, validate, validates,
                         validates_schema)

from kit.schemas import Strict, Whole, exactly_one_of
from kit.schemas import text as _text
from kit.schemas import whole_id as _id

from services.orders import addresses
from services.orders.models import STAFF_ROLES
from services.orders.status import ALL, FULFILMENT

MAX_LINES = 100
MAX_LINE_QUANTITY = 1_000
ORDER_STATUSES = [s.value for s in ALL]
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


class ActorSchema(Strict):
    """Who is calling, as the gateway knows it from the access token."""

    user_id = _id(required=True)
    role = fields.String(required=True, validate=validate.OneOf(("customer",) + STAFF_ROLES))


class AddressSchema(Strict):
    full_name = _text(120, required=True)
    line1 = _text(200, required=True)
    line2 = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    city = _text(100, required=True)
    state = _text(100, required=True)
    postal_code = _text(20, required=True)
    country = fields.String(required=True)
    phone = _text(30, required=True)

    @validates("country")
    def _iso_country(self, value, **_):
        if not addresses.is_country(value.upper()):
            raise ValidationError("Not an ISO 3166-1 alpha-2 country code (e.g. IN, US, GB).")

    @validates("phone")
    def _phone(self, value, **_):
        if addresses.compact_phone(value) is None:
            raise ValidationError("Not a phone number: 7-15 digits, optionally after '+'.")

    @validates_schema(skip_on_field_errors=False)
    def _postal_code(self, data, **_):
        country = (data.get("country") or "").upper()
        code = data.get("postal_code")
        if code and addresses.is_country(country) and not addresses.postal_code_ok(country, code):
            raise ValidationError(f"Not a valid postal code for {country}.", "postal_code")

    @post_load
    def _normalise(self, address, **_):
        return {**address, "country": address["country"].upper(),
                "postal_code": address["postal_code"].strip().upper(),
                "phone": addresses.compact_phone(address["phone"]),
                "line2": (address["line2"] or "").strip() or None}


def luhn_ok(number):
    digits = [int(d) for d in reversed(number)]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2)
                for i, d in enumerate(digits))
    return total % 10 == 0


class CardSchema(Strict):
    number = fields.String(required=True)
    exp_month = Whole(required=True, validate=validate.Range(min=1, max=12))
    exp_year = Whole(required=True, validate=validate.Range(min=2000, max=2100))
    cvc = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{3,4}$",
                                                                error="3 or 4 digits."))
    holder = _text(100, required=True)

    @validates("number")
    def _number(self, value, **_):
        digits = re.sub(r"[ -]", "", value)
        if not re.fullmatch(r"[0-9]{12,19}", digits) or not luhn_ok(digits):
            raise ValidationError("Not a valid card number.")

    @validates_schema
    def _not_expired(self, data, **_):
        if "exp_month" in data and "exp_year" in data:
            now = datetime.now(timezone.utc)
            if (data["exp_year"], data["exp_month"]) < (now.year, now.month):
                raise ValidationError("The card has expired.", "exp_year")

    @post_load
    def _digits_only(self, card, **_):
        return {**card, "number": re.sub(r"[ -]", "", card["number"])}


class PaymentMethodSchema(Strict):
    token = _text(200)
    card = fields.Nested(CardSchema)

    _one_way_to_pay = exactly_one_of("token", "card", message="Send exactly one of token or card.")


class LineSchema(Strict):
    variant_id = _id(required=True)
    quantity = Whole(required=True, validate=validate.Range(min=1, max=MAX_LINE_QUANTITY))


class CreateOrderSchema(Strict):
    shipping_address = fields.Nested(AddressSchema, required=True)
    payment_method = fields.Nested(PaymentMethodSchema, required=True)
    items = fields.List(fields.Nested(LineSchema), validate=validate.Length(min=1, max=MAX_LINES))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates("items")
    def _each_variant_once(self, value, **_):
        # a line whose variant_id was itself invalid arrives without it (reported on its own)
        ids = [line["variant_id"] for line in value if "variant_id" in line]
        if len(ids) != len(set(ids)):
            raise ValidationError("Each variant may appear once; add the quantities up.")


class CheckoutArgsSchema(Strict):
    idempotency_key = fields.String(required=True, validate=validate.Regexp(
        KEY, error="1-255 printable characters without spaces."))
    request_hash = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Regexp(r"^[0-9a-f]{16,128}$"))
    ip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class OrderIdSchema(Strict):
    order_id = _id(required=True)


class ListOrdersSchema(Strict):
    status = fields.String(load_default=None, validate=validate.OneOf(ORDER_STATUSES))
    user_id = _id(from_string=True, load_default=None)
    payment_status = fields.String(load_default=None, validate=validate.Length(max=30))
    before_id = _id(from_string=True, load_default=None)
    limit = Whole(from_string=True, load_default=20, validate=validate.Range(min=1, max=100))


TRACKING_NUMBER = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9 -]{2,79}$",
                                  error="3-80 letters, digits, spaces or dashes.")


class TrackingSchema(Strict):
    """A tracking update: where the parcel is now (carrier and number may change on a
    hand-over between carriers)."""
    carrier = _text(60)
    tracking_number = fields.String(validate=TRACKING_NUMBER)
    current_location = _text(200, load_default=None, allow_none=True)
    estimated_delivery = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ShipmentSchema(TrackingSchema):
    """Shipping an order names its carrier and tracking number."""
    carrier = _text(60, required=True)
    tracking_number = fields.String(required=True, validate=TRACKING_NUMBER)


class StatusChangeSchema(Strict):
    status = fields.String(required=True, validate=validate.OneOf(
        [s.value for s in FULFILMENT],
        error="Staff move fulfilment only: fulfilled, shipped or delivered; payments, "
              "cancellations and refunds have their own calls."))
    tracking = fields.Dict(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class CancelSchema(Strict):
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=64))


class AbandonedCartsSchema(Strict):
    user_id = _id(from_string=True, load_default=None)
    recovered = fields.Boolean(load_default=None, allow_none=True)
    before_id = _id(from_string=True, load_default=None)
    limit = Whole(from_string=True, load_default=50, validate=validate.Range(min=1, max=200))


# --- response shapes: what presenters.py returns, as gateway/apidoc/orders.py documents it ----
# Every field a presenter writes is declared (the document says additionalProperties false).

def _out_status(**kwargs):
    return fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES), **kwargs)


def _out_moment(**kwargs):
    return fields.DateTime(required=True, **kwargs)


class AddressOut(Schema):
    """presenters.address: the shipping address as stored (normalised)."""
    full_name = fields.String(required=True)
    line1 = fields.String(required=True)
    line2 = fields.String(required=True, allow_none=True)
    city = fields.String(required=True)
    state = fields.String(required=True)
    postal_code = fields.String(required=True)
    country = fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2."})
    phone = fields.String(required=True)


class OrderLineOut(Schema):
    """presenters.item: a line as priced when the order was placed."""
    variant_id = fields.Integer(required=True)
    product_id = fields.Integer(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    size = fields.String(required=True, allow_none=True)
    colour = fields.String(required=True, allow_none=True)
    unit_price = fields.Integer(required=True)
    quantity = fields.Integer(required=True)
    line_total = fields.Integer(required=True)


class PaidWithOut(Schema):
    """checkout.payment_method_summary: never the card number, never the token."""
    type = fields.String(required=True, validate=validate.OneOf(["card", "token"]))
    last4 = fields.String(metadata={"description": "Only when paid with a card."})


class OrderPaymentOut(Schema):
    """presenters.payment: what the payments service said last."""
    payment_id = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, allow_none=True)
    failure_code = fields.String(required=True, allow_none=True)
    next_action = fields.Dict(required=True, allow_none=True, metadata={
        "description": "requires_action: what the shopper must do."})
    method = fields.Nested(PaidWithOut, required=True)


class CancellationOut(Schema):
    """presenters.cancellation: a paid order's refund on cancelling."""
    reason = fields.String(required=True, allow_none=True)
    refund_requested_at = _out_moment()
    refund_id = fields.String(required=True, allow_none=True)
    refunded_at = _out_moment(allow_none=True)


class OrderOut(Schema):
    """presenters.order: what a shopper, a list and the checkout response see."""
    id = fields.Integer(required=True)
    order_ref = fields.String(required=True)
    user_id = fields.Integer(required=True)
    status = _out_status()
    status_reason = fields.String(required=True, allow_none=True)
    currency = fields.String(required=True)
    subtotal_amount = fields.Integer(required=True, metadata={"description": "Minor units."})
    total_amount = fields.Integer(required=True, metadata={"description": "Minor units."})
    refunded_amount = fields.Integer(required=True, metadata={"description": "Minor units."})
    item_count = fields.Integer(required=True)
    total_quantity = fields.Integer(required=True)
    items = fields.List(fields.Nested(OrderLineOut), required=True)
    shipping_address = fields.Nested(AddressOut, required=True, allow_none=True)
    payment = fields.Nested(OrderPaymentOut, required=True)
    cancellation = fields.Nested(CancellationOut, required=True, allow_none=True)
    notes = fields.String(required=True, allow_none=True)
    created_at = _out_moment()
    paid_at = _out_moment(allow_none=True)
    shipped_at = _out_moment(allow_none=True)
    delivered_at = _out_moment(allow_none=True)
    cancelled_at = _out_moment(allow_none=True)
    updated_at = _out_moment()


class OrderPageOut(Schema):
    """list_orders: newest first."""
    items = fields.List(fields.Nested(OrderOut), required=True)
    next_before_id = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Send as `before_id` for more."})


class StatusChangeOut(Schema):
    """presenters.history: one step of the order's status history."""
    old_status = fields.String(required=True, allow_none=True,
                               validate=validate.OneOf(ORDER_STATUSES))
    new_status = _out_status()
    reason = fields.String(required=True, allow_none=True)
    actor_id = fields.Integer(required=True, allow_none=True)
    at = _out_moment()


class TrackingUpdateOut(Schema):
    """presenters.tracking_update."""
    carrier = fields.String(required=True)
    tracking_number = fields.String(required=True)
    current_location = fields.String(required=True, allow_none=True)
    estimated_delivery = fields.Date(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    at = _out_moment()


class TrackingOut(Schema):
    """presenters.tracking: where the parcel is now and how it got there (oldest first)."""
    order_id = fields.Integer(required=True)
    order_ref = fields.String(required=True)
    status = _out_status()
    carrier = fields.String(required=True, allow_none=True)
    tracking_number = fields.String(required=True, allow_none=True)
    current_location = fields.String(required=True, allow_none=True)
    estimated_delivery = fields.Date(required=True, allow_none=True)
    shipped_at = _out_moment(allow_none=True)
    delivered_at = _out_moment(allow_none=True)
    updates = fields.List(fields.Nested(TrackingUpdateOut), required=True)


class OrderDetailsOut(OrderOut):
    """queries.order_details: the order with its status history and its tracking."""
    history = fields.List(fields.Nested(StatusChangeOut), required=True)
    tracking = fields.Nested(TrackingOut, required=True)
