"""Input schemas of the notifications service: every RPC validates here before touching the DB."""
from datetime import timezone

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from services.notifications.models import CATEGORIES, CHANNELS

ID = validate.Range(min=1, max=2 ** 63 - 1)


def _id(**kw):
    return fields.Integer(strict=True, validate=ID, **kw)


def _flag(**kw):
    # Only real booleans: "yes" or 1 from a client is a mistake worth naming.
    return fields.Boolean(truthy={True}, falsy={False}, **kw)


class UserSchema(Schema):
    class Meta:
        unknown = RAISE

    user_id = _id(required=True)


class ListNotificationsSchema(UserSchema):
    unread_only = _flag(load_default=False)
    limit = fields.Integer(strict=True, load_default=20, validate=validate.Range(min=1, max=100))
    before_id = _id(load_default=None, allow_none=True)


class MarkReadSchema(UserSchema):
    notification_ids = fields.List(_id(), required=True, validate=validate.Length(min=1, max=500))


# {category: enabled} per channel, only what changes; unknown names are errors (marshmallow's
# default), so a typo like "emial" comes back naming the field.
CategoryFlagsSchema = Schema.from_dict({c: _flag() for c in CATEGORIES},
                                       name="CategoryFlagsSchema")
PreferencesChangeSchema = Schema.from_dict(
    {ch: fields.Nested(CategoryFlagsSchema) for ch in CHANNELS}, name="PreferencesChangeSchema")


class BackInStockSchema(UserSchema):
    product_id = _id(required=True)
    variant_id = _id(required=True)


class VariantSchema(UserSchema):
    variant_id = _id(required=True)


# --- support chat -----------------------------------------------------------------------------

CHAT_BODY_MAX = 4000
STAFF_ROLES = ("support", "admin")
ROLES = ("customer",) + STAFF_ROLES


def _not_blank(value):
    if not value.strip():
        raise ValidationError("Must not be blank.")


class ConversationSchema(UserSchema):
    conversation_id = _id(required=True)


class ChatPostSchema(ConversationSchema):
    body = fields.String(required=True, validate=[validate.Length(min=1, max=CHAT_BODY_MAX),
                                                  _not_blank])


class ChatHistorySchema(ConversationSchema):
    before_id = _id(load_default=None, allow_none=True)
    limit = fields.Integer(strict=True, load_default=50, validate=validate.Range(min=1, max=100))


class ChatMarkReadSchema(ConversationSchema):
    message_id = _id(required=True)


class ChatListSchema(UserSchema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    limit = fields.Integer(strict=True, load_default=100, validate=validate.Range(min=1, max=200))


class AgentSchema(Schema):
    class Meta:
        unknown = RAISE

    agent_id = _id(required=True)


class AssignSchema(AgentSchema):
    conversation_id = _id(required=True)


# --- promotions -------------------------------------------------------------------------------

PROMOTION_STATUSES = ("scheduled", "live", "ended")
CURRENCIES = ("INR", "USD", "EUR", "GBP")
MAX_DISCOUNT_AMOUNT = 10 ** 12  # minor units, like a product price
CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$",
                       error="3-40 characters: letters, digits, '_', '-'.")
CATEGORY = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                           error="A category slug: lowercase letters and digits, single '-'.")


class ActorSchema(Schema):
    """Who is calling a staff write, as the gateway knows it from the access token."""
    class Meta:
        unknown = RAISE

    user_id = _id(required=True)
    role = fields.String(required=True)


def _when(**kw):
    # A time without a zone is taken as UTC; every time we return carries one.
    return fields.AwareDateTime(default_timezone=timezone.utc, **kw)


class PromotionChangesSchema(Schema):
    """The fields of a promotion, each optional; the rules between them are checked on the
    whole promotion (promotions.check_terms), new or changed."""
    class Meta:
        unknown = RAISE

    title = fields.String(validate=[validate.Length(min=1, max=200), _not_blank])
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    code = fields.String(allow_none=True, validate=CODE)
    discount_percent = fields.Integer(strict=True, allow_none=True,
                                      validate=validate.Range(min=1, max=90))
    discount_amount = fields.Integer(strict=True, allow_none=True,
                                     validate=validate.Range(min=1, max=MAX_DISCOUNT_AMOUNT))
    currency = fields.String(allow_none=True, validate=validate.OneOf(CURRENCIES))
    starts_at = _when()
    ends_at = _when()
    product_ids = fields.List(_id(), allow_none=True, validate=validate.Length(min=1, max=1000))
    category = fields.String(allow_none=True, validate=[validate.Length(max=120), CATEGORY])


class PromotionSchema(PromotionChangesSchema):
    title = fields.String(required=True, validate=[validate.Length(min=1, max=200), _not_blank])
    starts_at = _when(required=True)
    ends_at = _when(required=True)


class PromotionIdSchema(Schema):
    promotion_id = _id(required=True)


class PromotionListSchema(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(PROMOTION_STATUSES))
    limit = fields.Integer(strict=True, load_default=50, validate=validate.Range(min=1, max=100))
    before_id = _id(load_default=None, allow_none=True)
