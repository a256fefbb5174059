"""Input schemas of the payments service: every RPC validates here before touching anything.

Money uses `Whole`: an int, never a float or a bool (10.5 paise must not quietly become 10).
Card numbers are checked for shape here; whether they are real cards (Luhn, expiry) is the
provider's call, as with a real gateway.
"""
import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from kit.schemas import Strict, Whole, exactly_one_of
from kit.schemas import whole_id as _id

from services.payments.models import CURRENCIES, STAFF_ROLES, SYSTEM_ROLE

MAX_AMOUNT = 10 ** 12
ORDER_REF = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$",
                            error="1-64 characters: letters, digits, ':', '.', '_', '-'.")
PAYMENT_ID = validate.Regexp(r"^pay_[0-9a-f]{32}$", error="Not a payment id.")
METHOD_ID = validate.Regexp(r"^pm_[0-9a-f]{32}$", error="Not a payment method id.")
KEY = validate.Regexp(r"^[\x21-\x7e]{1,255}$", error="1-255 printable characters, no spaces.")
ROLES = ("customer",) + STAFF_ROLES + (SYSTEM_ROLE,)


class CardSchema(Strict):
    number = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9][0-9 -]{10,24}[0-9]$", error="12-19 digits (spaces or dashes allowed)."))
    exp_month = Whole(required=True, validate=validate.Range(min=1, max=12))
    exp_year = Whole(required=True, validate=validate.Range(min=2000, max=2100))
    cvc = fields.String(required=True, load_only=True,
                        validate=validate.Regexp(r"^[0-9]{3,4}$", error="3 or 4 digits."))
    holder = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=100))

    @post_load
    def _digits_only(self, card, **_):
        number = re.sub(r"[ -]", "", card["number"])
        if not 12 <= len(number) <= 19:
            raise ValidationError("12-19 digits (spaces or dashes allowed).", "number")
        return {**card, "number": number}


class PaymentMethodSchema(Strict):
    token = fields.String(validate=validate.Length(min=1, max=64))
    card = fields.Nested(CardSchema)

    _one_way_to_pay = exactly_one_of("token", "card", message="Send exactly one of token or card.")


class AddressSchema(Schema):
    """Only the country matters to payments (billing vs shipping); the rest is ignored."""
    class Meta:
        unknown = EXCLUDE

    country = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[A-Za-z]{2}$", error="An ISO 3166-1 alpha-2 country code."))


class InitiateSchema(Strict):
    order_ref = fields.String(required=True, validate=ORDER_REF)
    order_id = _id(required=True)
    user_id = _id(required=True)
    amount = Whole(required=True, validate=validate.Range(min=1, max=MAX_AMOUNT))
    currency = fields.String(required=True, validate=validate.OneOf(CURRENCIES))
    payment_method = fields.Nested(PaymentMethodSchema, required=True)
    ip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    shipping_address = fields.Nested(AddressSchema, load_default=None, allow_none=True)
    billing_address = fields.Nested(AddressSchema, load_default=None, allow_none=True)


class TokenizeSchema(Strict):
    user_id = _id(required=True)
    card = fields.Nested(CardSchema, required=True)
    save = fields.Boolean(load_default=False)
    idempotency_key = fields.String(load_default=None, allow_none=True, validate=KEY)


class UserSchema(Strict):
    user_id = _id(required=True)


class MethodSchema(Strict):
    user_id = _id(required=True)
    method_id = fields.String(required=True, validate=METHOD_ID)


class ActorSchema(Schema):
    """Who is asking: a signed-in user from the gateway, or {"role": "system"} for a service."""
    class Meta:
        unknown = EXCLUDE

    user_id = Whole(load_default=0, validate=validate.Range(min=0))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class PaymentIdSchema(Strict):
    payment_id = fields.String(required=True, validate=PAYMENT_ID)


class OrderRefSchema(Strict):
    order_ref = fields.String(required=True, validate=ORDER_REF)


class RefundSchema(Strict):
    payment_id = fields.String(required=True, validate=PAYMENT_ID)
    amount = Whole(load_default=None, allow_none=True,
                   validate=validate.Range(min=1, max=MAX_AMOUNT))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    idempotency_key = fields.String(required=True, validate=KEY)


class ReviewSchema(Strict):
    payment_id = fields.String(required=True, validate=PAYMENT_ID)
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class WebhookEventSchema(Schema):
    """The provider's event, once its signature checked out."""
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type = fields.String(required=True, validate=validate.Length(min=1, max=60))
    created = Whole(load_default=None, allow_none=True)
    data = fields.Dict(required=True)
