"""Input schemas of the users service: every RPC validates here before touching the database."""
from marshmallow import RAISE, Schema, fields, validate, validates, ValidationError

USERNAME = validate.Regexp(r"^[A-Za-z0-9_.-]{3,30}$",
                           error="3-30 characters: letters, digits, '_', '.', '-'.")
PHONE = validate.Regexp(r"^\+?[0-9 ()-]{7,20}$", error="Not a valid phone number.")


class RegisterSchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(required=True, validate=validate.Length(max=254))
    username = fields.String(required=True, validate=USERNAME)
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=8, max=128))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=120))

    @validates("full_name")
    def _not_blank(self, value, **_):
        if not value.strip():
            raise ValidationError("Must not be blank.")


class ProfileUpdateSchema(Schema):
    class Meta:
        unknown = RAISE

    full_name = fields.String(validate=validate.Length(min=1, max=120))
    username = fields.String(validate=USERNAME)
    bio = fields.String(allow_none=True, validate=validate.Length(max=500))
    avatar_url = fields.URL(allow_none=True, validate=validate.Length(max=500))
    phone = fields.String(allow_none=True, validate=[PHONE, validate.Length(max=20)])


class LoginSchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class PageSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
    before_id = fields.Integer(load_default=None, allow_none=True,
                               validate=validate.Range(min=1))


# ---- responses: what presenters.py returns (described in /api/openapi.json) ----------------

class PublicUserOut(Schema):
    """presenters.public_user."""
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    bio = fields.String(required=True, allow_none=True)
    avatar_url = fields.String(required=True, allow_none=True)
    role = fields.String(required=True, validate=validate.OneOf(["customer", "support", "admin"]))
    is_online = fields.Boolean(required=True)
    last_seen = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class ProfileOut(PublicUserOut):
    """get_public_profile: the public fields and the follow counts."""
    followers = fields.Integer(required=True)
    following = fields.Integer(required=True)


class RelatedUserOut(PublicUserOut):
    """An item of list_followers/list_following: since when the relation holds."""
    since = fields.DateTime(required=True)


class UserOut(PublicUserOut):
    """presenters.private_user: the account as its owner (or staff) sees it."""
    email = fields.Email(required=True)
    phone = fields.String(required=True, allow_none=True)
    is_active = fields.Boolean(required=True)
    updated_at = fields.DateTime(required=True)
