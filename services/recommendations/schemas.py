"""Input schemas of the recommendations service: every RPC validates here first."""
from marshmallow import RAISE, Schema, fields, validate

from kit.recs_cache import MAX_LIMIT
from kit.schemas import RefOut

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


# --- response shapes: what serving.py and presenters.py return, as
# gateway/apidoc/recommendations.py documents it. Every field is declared (the document says
# additionalProperties false).

REASONS = ("similar_shoppers", "similar_style", "popular", "bought_together", "goes_with_cart")
STRATEGIES = ("hybrid", "popular", "content", "bought_together", "cart")


class RecommendedProductOut(Schema):
    """serving.card: a product and why it is on the list."""
    product_id = fields.Integer(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    price = fields.Integer(required=True, metadata={"description": "Minor units."})
    currency = fields.String(required=True, metadata={"example": "INR"})
    brand = fields.Nested(RefOut, required=True)
    category = fields.Nested(RefOut, required=True)
    image_url = fields.String(required=True, allow_none=True)
    score = fields.Float(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))


class RecommendationListOut(Schema):
    """serving.body."""
    items = fields.List(fields.Nested(RecommendedProductOut), required=True)
    model_version = fields.Integer(required=True, allow_none=True, metadata={
        "description": "The model that made the list; null before any model was trained "
                       "(popularity alone)."})
    strategy = fields.String(required=True, validate=validate.OneOf(STRATEGIES))


class ClickRecordedOut(Schema):
    """record_click."""
    user_id = fields.Integer(required=True)
    product_id = fields.Integer(required=True)
    surface = fields.String(required=True, validate=validate.OneOf(SURFACES))
    model_version = fields.Integer(required=True)
    clicked = fields.Boolean(required=True)


class ModelOut(Schema):
    """presenters.model: a trained model version (never its artifact)."""
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    accuracy = fields.Float(required=True, allow_none=True, metadata={
        "description": "The hybrid's precision@10 on the hold-out."})
    metrics = fields.Dict(required=True, metadata={
        "description": "holdout: precision@10, recall@10, ndcg@10, coverage per model "
                       "(popularity, cf, content, hybrid); how it was trained."})
    params = fields.Dict(required=True)
    is_active = fields.Boolean(required=True)
    activated_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class ModelListOut(Schema):
    items = fields.List(fields.Nested(ModelOut), required=True)


class ClickThroughOut(Schema):
    """feedback.rates for one model version."""
    model_version = fields.Integer(required=True)
    shown = fields.Integer(required=True)
    clicked = fields.Integer(required=True)
    purchased = fields.Integer(required=True)
    ctr = fields.Float(required=True)
    purchase_rate = fields.Float(required=True)
