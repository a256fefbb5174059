"""Input schemas of the recommendations service: every RPC validates here first."""
from marshmallow import RAISE, Schema, fields, validate

from kit.recs_cache import MAX_LIMIT

ID = validate.Range(min=1, max=2 ** 63 - 1)
SURFACES = ("for_me", "similar", "bought_together", "cart")


def _id(**kw):
    return fields.Integer(strict=True, validate=ID, **kw)


def _limit():
    return fields.Integer(strict=True, load_default=10, validate=validate.Range(min=1,
                                                                                 max=MAX_LIMIT))


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ForUserSchema(Strict):
    user_id = _id(required=True)
    limit = _limit()


class ProductListSchema(Strict):
    product_id = _id(required=True)
    limit = _limit()
    user_id = _id(load_default=None, allow_none=True)


class CartSchema(Strict):
    product_ids = fields.List(_id(), required=True, validate=validate.Length(max=200))
    user_id = _id(load_default=None, allow_none=True)
    limit = _limit()


class ClickSchema(Strict):
    user_id = _id(required=True)
    product_id = _id(required=True)
    surface = fields.String(required=True, validate=validate.OneOf(SURFACES))
    model_version = fields.Integer(strict=True, load_default=None, allow_none=True,
                                   validate=validate.Range(min=0, max=2 ** 31 - 1))


class VersionSchema(Strict):
    version = fields.Integer(strict=True, required=True, validate=validate.Range(min=1,
                                                                                  max=2 ** 31 - 1))


class OptionalVersionSchema(Strict):
    version = fields.Integer(strict=True, load_default=None, allow_none=True,
                             validate=validate.Range(min=0, max=2 ** 31 - 1))


class PopularSchema(Strict):
    limit = _limit()
    user_id = _id(load_default=None, allow_none=True)
