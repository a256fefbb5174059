"""Input schemas of the products service: every RPC validates here before touching the database.

Money and quantities use `Whole`: an int (never a float, never a bool). Catalog filters also take
digit strings, because they usually come straight from a query string.
"""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

import kit.schemas
from kit.schemas import RefOut, Strict
from kit.schemas import not_blank as _not_blank

from services.products.models import CURRENCIES

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                       error="Lowercase letters and digits, separated by single '-'.")
SKU = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$",
                      error="3-64 characters: letters, digits, '.', '_', '-'.")
ORDER_REF = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$",
                            error="1-64 characters: letters, digits, ':', '.', '_', '-'.")
SORTS = ("newest", "price_asc", "price_desc", "rating", "name")
MAX_PRICE = 10 ** 12          # minor units; far above any garment, far below BIGINT
MAX_STOCK = 1_000_000
MAX_LINE_QUANTITY = 1_000


class Whole(kit.schemas.Whole):
    """kit's Whole; from a query string it also takes a sign and surrounding blanks."""

    string_pattern = r"\s*-?\d{1,18}\s*"


class SlugOrId(fields.Field):
    """A category or brand named by id (int or digit string) or by slug; gives int or str."""

    default_error_messages = {"invalid": "Not a valid id or slug."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        if isinstance(value, str) and value.isdigit() and len(value) < 19 and int(value) > 0:
            return int(value)
        if isinstance(value, str) and len(value) <= 120 and re.fullmatch(
                r"[a-z0-9]+(?:-[a-z0-9]+)*", value):
            return value
        raise self.make_error("invalid")


def _text(max_len, min_len=1, **kwargs):
    return fields.String(validate=validate.Length(min=min_len, max=max_len), **kwargs)


def _id(**kwargs):
    return Whole(validate=validate.Range(min=1), **kwargs)


def _price(**kwargs):
    return Whole(validate=validate.Range(min=0, max=MAX_PRICE), **kwargs)


CURRENCY = validate.OneOf(CURRENCIES)


class ActorSchema(Strict):
    """Who is calling a staff write, as the gateway knows it from the access token."""

    user_id = _id(required=True)
    role = _text(20, required=True)


class IdSchema(Strict):
    user_id = _id()
    product_id = _id()
    variant_id = _id()
    review_id = _id()
    include_inactive = fields.Boolean(load_default=False)


class ProductFiltersSchema(Strict):
    category = SlugOrId(load_default=None)        # includes the category's descendants
    brand = SlugOrId(load_default=None)
    min_price = Whole(from_string=True, load_default=None, validate=validate.Range(min=0))
    max_price = Whole(from_string=True, load_default=None, validate=validate.Range(min=0))
    currency = fields.String(load_default=None, validate=CURRENCY)
    size = _text(20, load_default=None)
    colour = _text(40, load_default=None)
    in_stock = fields.Boolean(load_default=None, allow_none=True)
    q = _text(100, load_default=None)
    sort = fields.String(load_default="newest", validate=validate.OneOf(SORTS))
    cursor = _text(500, load_default=None)
    limit = Whole(from_string=True, load_default=24, validate=validate.Range(min=1, max=100))

    @validates_schema
    def _price_range(self, data, **_):
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise ValidationError("Must not be below min_price.", "max_price")


class VariantCreateSchema(Strict):
    sku = fields.String(required=True, validate=SKU)
    size = fields.String(required=True, validate=[validate.Length(min=1, max=20), _not_blank])
    colour = fields.String(required=True, validate=[validate.Length(min=1, max=40), _not_blank])
    price = _price(load_default=None, allow_none=True)
    inventory_count = Whole(load_default=0, validate=validate.Range(min=0, max=MAX_STOCK))
    low_stock_threshold = Whole(load_default=5, validate=validate.Range(min=0, max=MAX_STOCK))
    is_active = fields.Boolean(load_default=True)


class VariantUpdateSchema(Strict):
    size = fields.String(validate=[validate.Length(min=1, max=20), _not_blank])
    colour = fields.String(validate=[validate.Length(min=1, max=40), _not_blank])
    price = _price(allow_none=True)
    low_stock_threshold = Whole(validate=validate.Range(min=0, max=MAX_STOCK))
    is_active = fields.Boolean()


class ImageSchema(Strict):
    url = fields.URL(required=True, schemes=("http", "https"), validate=validate.Length(max=500))
    alt_text = _text(200, load_default=None, allow_none=True)
    position = Whole(load_default=None, allow_none=True, validate=validate.Range(min=0, max=1000))


class ProductCreateSchema(Strict):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), _not_blank])
    slug = fields.String(load_default=None, validate=[validate.Length(max=220), SLUG])
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=10_000))
    brand_id = _id(required=True)
    category_id = _id(required=True)
    price = _price(required=True)
    currency = fields.String(load_default="INR", validate=CURRENCY)
    is_active = fields.Boolean(load_default=True)
    variants = fields.List(fields.Nested(VariantCreateSchema), load_default=list,
                           validate=validate.Length(max=200))
    images = fields.List(fields.Nested(ImageSchema), load_default=list,
                         validate=validate.Length(max=50))

    @validates("variants")
    def _distinct_skus(self, value, **_):
        # marshmallow runs this even when a variant failed its own fields: that variant comes
        # here without them, and its own errors are already reported.
        value = [v for v in value if {"sku", "size", "colour"} <= v.keys()]
        skus = [v["sku"].upper() for v in value]
        if len(skus) != len(set(skus)):
            raise ValidationError("Each variant needs its own sku.")
        combos = [(v["size"].lower(), v["colour"].lower()) for v in value]
        if len(combos) != len(set(combos)):
            raise ValidationError("Each size and colour pair may appear once.")


class ProductUpdateSchema(Strict):
    name = fields.String(validate=[validate.Length(min=1, max=200), _not_blank])
    description = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    brand_id = _id()
    category_id = _id()
    price = _price()
    currency = fields.String(validate=CURRENCY)
    is_active = fields.Boolean()


class SetStockSchema(Strict):
    variant_id = _id(required=True)
    quantity = Whole(required=True, validate=validate.Range(min=0, max=MAX_STOCK))
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=200), _not_blank])


class AdjustStockSchema(Strict):
    variant_id = _id(required=True)
    delta = Whole(required=True, validate=validate.Range(min=-MAX_STOCK, max=MAX_STOCK))
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=200), _not_blank])

    @validates("delta")
    def _not_zero(self, value, **_):
        if value == 0:
            raise ValidationError("Must not be zero.")


class LineSchema(Strict):
    variant_id = _id(required=True)
    quantity = Whole(required=True, validate=validate.Range(min=1, max=MAX_LINE_QUANTITY))


class ReservationSchema(Strict):
    order_ref = fields.String(required=True, validate=ORDER_REF)
    items = fields.List(fields.Nested(LineSchema), required=True,
                        validate=validate.Length(min=1, max=100))

    @validates("items")
    def _each_variant_once(self, value, **_):
        ids = [line["variant_id"] for line in value if "variant_id" in line]  # see above
        if len(ids) != len(set(ids)):
            raise ValidationError("Each variant may appear once; add the quantities up.")


class OrderRefSchema(Strict):
    order_ref = fields.String(required=True, validate=ORDER_REF)


class ReviewSchema(Strict):
    user_id = _id(required=True)
    product_id = _id(required=True)
    rating = Whole(required=True, validate=validate.Range(min=1, max=5))
    title = fields.String(required=True, validate=[validate.Length(min=1, max=150), _not_blank])
    body = fields.String(required=True, validate=[validate.Length(min=1, max=5000), _not_blank])


class ReviewUpdateSchema(Strict):
    rating = Whole(validate=validate.Range(min=1, max=5))
    title = fields.String(validate=[validate.Length(min=1, max=150), _not_blank])
    body = fields.String(validate=[validate.Length(min=1, max=5000), _not_blank])


class ReviewPageSchema(Strict):
    product_id = _id(required=True)
    cursor = _text(200, load_default=None, allow_none=True)
    limit = Whole(from_string=True, load_default=20, validate=validate.Range(min=1, max=100))


class ViewSchema(Strict):
    product_id = _id(required=True)
    user_id = _id(load_default=None, allow_none=True)
    session_id = _text(100, load_default=None, allow_none=True)


class VariantIdsSchema(Strict):
    variant_ids = fields.List(_id(), required=True, validate=validate.Length(min=1, max=200))


class TrendingSchema(Strict):
    limit = Whole(from_string=True, load_default=10, validate=validate.Range(min=1, max=100))


# --- response shapes: what presenters.py returns, as gateway/apidoc/catalog.py documents it --
# Only fields the presenter really writes are declared, and all of them are: the document says
# additionalProperties false, so a field added to a presenter must be added here too.

def _out_currency():
    return fields.String(required=True, validate=CURRENCY)


class CategoryInPathOut(RefOut):
    """A product's category with the path from the root to it (itself last)."""
    path = fields.List(fields.Nested(RefOut), required=True)


class RatingOut(Schema):
    avg = fields.Float(required=True)
    count = fields.Integer(required=True)


class RatingSummaryOut(RatingOut):
    """catalog.rating_summary: the review count per star, "1" to "5"."""
    histogram = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class ProductCardOut(Schema):
    """presenters.product_card: a product as a listing shows it."""
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    price = fields.Integer(required=True, metadata={"description": "Minor units."})
    currency = _out_currency()
    brand = fields.Nested(RefOut, required=True)
    category = fields.Nested(RefOut, required=True)
    rating = fields.Nested(RatingOut, required=True)
    image_url = fields.String(required=True, allow_none=True)
    in_stock = fields.Boolean(required=True)
    is_active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class ProductPageOut(Schema):
    """list_products: one keyset page."""
    items = fields.List(fields.Nested(ProductCardOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True,
                                metadata={"description": "Send as `cursor` for the next page."})


class TrendingProductOut(ProductCardOut):
    """get_trending: a card with its time-decayed score and total views."""
    trending_score = fields.Float(required=True)
    views = fields.Integer(required=True)


class TrendingListOut(Schema):
    items = fields.List(fields.Nested(TrendingProductOut), required=True)


class VariantOut(Schema):
    """presenters.variant."""
    id = fields.Integer(required=True)
    product_id = fields.Integer(required=True)
    sku = fields.String(required=True)
    size = fields.String(required=True)
    colour = fields.String(required=True)
    price = fields.Integer(required=True, metadata={
        "description": "What a shopper pays (override or list price), minor units."})
    price_override = fields.Integer(required=True, allow_none=True)
    currency = _out_currency()
    inventory_count = fields.Integer(required=True)
    low_stock_threshold = fields.Integer(required=True)
    availability = fields.String(required=True, validate=validate.OneOf(
        ["in_stock", "low_stock", "out_of_stock"]))
    is_active = fields.Boolean(required=True)


class ImageOut(Schema):
    """presenters.image."""
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    alt_text = fields.String(required=True, allow_none=True)
    position = fields.Integer(required=True)


class ProductOut(Schema):
    """presenters.product_detail: a product page (and every staff write's answer)."""
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    price = fields.Integer(required=True, metadata={"description": "Minor units."})
    currency = _out_currency()
    is_active = fields.Boolean(required=True)
    brand = fields.Nested(RefOut, required=True)
    category = fields.Nested(CategoryInPathOut, required=True)
    variants = fields.List(fields.Nested(VariantOut), required=True)
    images = fields.List(fields.Nested(ImageOut), required=True)
    rating = fields.Nested(RatingSummaryOut, required=True)
    in_stock = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class CategoryOut(RefOut):
    """presenters.category_tree: a category and its subcategories, nested."""
    parent_id = fields.Integer(required=True, allow_none=True)
    children = fields.List(fields.Nested(lambda: CategoryOut()), required=True)


class CategoryListOut(Schema):
    items = fields.List(fields.Nested(CategoryOut), required=True)


class BrandOut(RefOut):
    """presenters.brand."""
    description = fields.String(required=True, allow_none=True)
    logo_url = fields.String(required=True, allow_none=True)


class BrandListOut(Schema):
    items = fields.List(fields.Nested(BrandOut), required=True)


class ReviewOut(Schema):
    """presenters.review."""
    id = fields.Integer(required=True)
    product_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    rating = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    title = fields.String(required=True)
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class ReviewPageOut(Schema):
    """list_reviews: newest first."""
    items = fields.List(fields.Nested(ReviewOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)
