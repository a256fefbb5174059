"""Input schemas of the payments service: every RPC validates here before touching anything.

Money uses `Whole`: an int, never a float or a bool (10.5 paise must not quietly become 10).
Card numbers are checked for shape here; whether they are real cards (Luhn, expiry) is the
provider's call, as with a real gateway.
"""
import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from kit.schemas import Strict, Whole, exactly_one_of
from kit.schemas import whole_id as _id

from services.payments.models import (ATTEMPT_KINDS, ATTEMPT_STATUSES, CURRENCIES,
                                      FRAUD_DECISIONS, REFUND_STATUSES, STAFF_ROLES,
                                      SYSTEM_ROLE)
from services.payments.status import PaymentStatus

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


# --- response shapes: what presenters.py returns, as gateway/apidoc/payments.py documents it --
# Every field a presenter writes is declared (the document says additionalProperties false).

def _out_moment(**kwargs):
    return fields.DateTime(required=True, **kwargs)


def _out_money(**kwargs):
    return fields.Integer(required=True, metadata={"description": "Minor units."}, **kwargs)


class CardOnFileOut(Schema):
    """The parts of a card any answer may show."""
    brand = fields.String(required=True, metadata={"example": "visa"})
    last4 = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}$"))
    exp_month = fields.Integer(required=True)
    exp_year = fields.Integer(required=True)


class SavedCardOut(CardOnFileOut):
    """presenters.tokenized / saved: a card just saved (or, replayed, the one saved before)."""
    token = fields.String(required=True, metadata={
        "description": "Pay with it: POST /api/orders payment_method {token}."})
    payment_method_id = fields.String(required=True)
    replayed = fields.Boolean(metadata={
        "description": "Present (true) when this Idempotency-Key had saved it before."})


class PaymentMethodOut(CardOnFileOut):
    """presenters.method."""
    id = fields.String(required=True)
    token = fields.String(required=True)
    created_at = _out_moment()


class PaymentMethodListOut(Schema):
    items = fields.List(fields.Nested(PaymentMethodOut), required=True)


class PaymentMethodDeletedOut(Schema):
    id = fields.String(required=True)
    deleted = fields.Boolean(required=True)


class RefundOut(Schema):
    """presenters.refund."""
    refund_id = fields.String(required=True)
    payment_id = fields.String(required=True)
    amount = _out_money()
    currency = fields.String(required=True, validate=validate.OneOf(CURRENCIES))
    status = fields.String(required=True, validate=validate.OneOf(REFUND_STATUSES))
    reason = fields.String(required=True, allow_none=True)
    failure_code = fields.String(required=True, allow_none=True)
    idempotency_key = fields.String(required=True)
    created_at = _out_moment()
    processed_at = _out_moment(allow_none=True)
    replayed = fields.Boolean(required=True, metadata={
        "description": "True when this key had already made this refund."})


class ChargedWithOut(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["card"]))
    brand = fields.String(required=True)
    last4 = fields.String(required=True)
    payment_method_id = fields.String(required=True, allow_none=True)


class PaymentOut(Schema):
    """presenters.payment: what get_payment_by_order and a fraud review answer."""
    payment_id = fields.String(required=True)
    order_ref = fields.String(required=True)
    order_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    amount = _out_money()
    currency = fields.String(required=True, validate=validate.OneOf(CURRENCIES))
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in
                                                                   PaymentStatus]))
    failure_code = fields.String(required=True, allow_none=True,
                                 metadata={"example": "card_declined"})
    next_action = fields.Dict(required=True, allow_none=True, metadata={
        "description": "requires_action: what the shopper must do."})
    method = fields.Nested(ChargedWithOut, required=True)
    captured_amount = _out_money()
    refunded_amount = _out_money()
    refundable_amount = _out_money()
    created_at = _out_moment()
    updated_at = _out_moment()
    completed_at = _out_moment(allow_none=True)
    failed_at = _out_moment(allow_none=True)
    cancelled_at = _out_moment(allow_none=True)


class AttemptOut(Schema):
    """presenters.attempt: one call to the provider."""
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ATTEMPT_KINDS))
    status = fields.String(required=True, validate=validate.OneOf(ATTEMPT_STATUSES))
    provider_ref = fields.String(required=True, allow_none=True)
    refund_id = fields.String(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    error_message = fields.String(required=True, allow_none=True)
    latency_ms = fields.Integer(required=True, allow_none=True)
    started_at = _out_moment()
    finished_at = _out_moment(allow_none=True)


class FraudFlagOut(Schema):
    """presenters.fraud_flag."""
    id = fields.Integer(required=True)
    risk_score = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    reasons = fields.List(fields.Dict(), required=True)
    decision = fields.String(required=True, validate=validate.OneOf(FRAUD_DECISIONS))
    reviewed_by = fields.Integer(required=True, allow_none=True)
    reviewed_at = _out_moment(allow_none=True)
    created_at = _out_moment()


class PaymentDetailsOut(PaymentOut):
    """charges.details: the payment with its refunds; staff also see attempts and the flag."""
    refunds = fields.List(fields.Nested(RefundOut), required=True)
    attempts = fields.List(fields.Nested(AttemptOut), metadata={
        "description": "Staff only: every call to the provider."})
    fraud = fields.Nested(FraudFlagOut, allow_none=True, metadata={"description": "Staff only."})


class WebhookReceiptOut(Schema):
    """webhooks: what the provider hears back."""
    received = fields.Boolean(required=True)
    event_id = fields.String(required=True)
    payment_id = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, allow_none=True,
                           validate=validate.OneOf([s.value for s in PaymentStatus]))
    applied = fields.Boolean(required=True, metadata={
        "description": "False: nothing was waiting for it."})
