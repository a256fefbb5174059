"""Input schemas of the notifications service: every RPC validates here before touching the DB."""
from datetime import timezone

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from services.notifications.models import (CATEGORIES, CHANNELS, CONVERSATION_STATUSES,
                                           SENDER_ROLES)

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


# --- response shapes: what presenters.py returns, as gateway/apidoc/notifications.py documents
# it. Every field a presenter writes is declared (the document says additionalProperties false).

def _out_moment(**kw):
    return fields.DateTime(required=True, **kw)


def _out_next_before_id():
    return fields.Integer(required=True, allow_none=True,
                          metadata={"description": "Send as `before_id` for the next page."})


class NotificationOut(Schema):
    """presenters.notification."""
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    type = fields.String(required=True, metadata={"example": "order_shipped"})
    title = fields.String(required=True)
    body = fields.String(required=True)
    data = fields.Dict(required=True)
    is_read = fields.Boolean(required=True)
    read_at = _out_moment(allow_none=True)
    created_at = _out_moment()


class NotificationPageOut(Schema):
    """The gateway's page of list_notifications, newest first."""
    items = fields.List(fields.Nested(NotificationOut), required=True)
    next_before_id = _out_next_before_id()


class UnreadCountOut(Schema):
    user_id = fields.Integer(required=True)
    unread = fields.Integer(required=True)


class MarkedReadOut(Schema):
    """mark_read / mark_all_read."""
    user_id = fields.Integer(required=True)
    marked = fields.List(fields.Integer(), required=True,
                         metadata={"description": "The ids that were unread until now."})
    unread = fields.Integer(required=True)


class PreferencesOut(Schema):
    """presenters.preferences: every channel × category, enabled or not."""
    user_id = fields.Integer(required=True)
    channels = fields.Dict(keys=fields.String(validate=validate.OneOf(CHANNELS)),
                           values=fields.Dict(keys=fields.String(), values=fields.Boolean()),
                           required=True, metadata={"description": "{channel: {category: on}}"})


class BackInStockOut(Schema):
    """presenters.subscription of notify_when_back_in_stock."""
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    product_id = fields.Integer(required=True)
    variant_id = fields.Integer(required=True)
    created = fields.Boolean(required=True,
                             metadata={"description": "False: you had already asked."})
    created_at = _out_moment()
    notified_at = _out_moment(allow_none=True)


class BackInStockCancelledOut(Schema):
    user_id = fields.Integer(required=True)
    variant_id = fields.Integer(required=True)
    cancelled = fields.Boolean(required=True,
                               metadata={"description": "False: there was nothing to cancel."})


class ConversationOut(Schema):
    """presenters.conversation."""
    id = fields.Integer(required=True)
    customer_id = fields.Integer(required=True)
    agent_id = fields.Integer(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(CONVERSATION_STATUSES))
    created_at = _out_moment()
    updated_at = _out_moment()


class ConversationListOut(Schema):
    items = fields.List(fields.Nested(ConversationOut), required=True)


class ChatMessageOut(Schema):
    """presenters.chat_message."""
    id = fields.Integer(required=True)
    conversation_id = fields.Integer(required=True)
    sender_id = fields.Integer(required=True)
    sender_role = fields.String(required=True, validate=validate.OneOf(SENDER_ROLES))
    body = fields.String(required=True)
    created_at = _out_moment()


class ChatMessagePageOut(Schema):
    """The gateway's page of chat_history, newest first."""
    items = fields.List(fields.Nested(ChatMessageOut), required=True)
    next_before_id = _out_next_before_id()


class PromotionOut(Schema):
    """presenters.promotion."""
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    code = fields.String(required=True, allow_none=True, metadata={
        "description": "Stored upper-case; unique among promotions not yet over."})
    discount_percent = fields.Integer(required=True, allow_none=True)
    discount_amount = fields.Integer(required=True, allow_none=True,
                                     metadata={"description": "Minor units off."})
    currency = fields.String(required=True, allow_none=True,
                             validate=validate.OneOf(CURRENCIES))
    starts_at = _out_moment()
    ends_at = _out_moment()
    product_ids = fields.List(fields.Integer(), required=True, allow_none=True)
    category = fields.String(required=True, allow_none=True,
                             metadata={"description": "A category slug."})
    status = fields.String(required=True, validate=validate.OneOf(PROMOTION_STATUSES))
    ended_at = _out_moment(allow_none=True, metadata={
        "description": "When staff ended it early, if they did."})
    created_at = _out_moment()
    updated_at = _out_moment()


class PromotionListOut(Schema):
    """Live promotions (anyone), or staff's page by status (with next_before_id)."""
    items = fields.List(fields.Nested(PromotionOut), required=True)
    next_before_id = fields.Integer(allow_none=True, metadata={
        "description": "Staff's ?status= pages only: send as `before_id` for more."})
