"""Input schemas of the notifications service: every RPC validates here before touching the DB."""
from marshmallow import RAISE, Schema, fields, validate

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
