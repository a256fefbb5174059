"""Schema pieces shared by every service: `load` (marshmallow errors become ValidationFailed)
and the fields that every service needs alike: `Strict` (unknown fields refused by name),
`Whole`, `whole_id`, `text`, the `not_blank` validator and `exactly_one_of`."""
import re

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from kit.errors import ValidationFailed, validation_error


def load(schema, data):
    """Validate `data` with a marshmallow `schema`; raise ValidationFailed naming each field."""
    if not isinstance(data, dict):
        raise ValidationFailed("validation_failed", "Expected an object.",
                               {"fields": {"_schema": ["Expected an object."]}})
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise validation_error(exc)


class Whole(fields.Field):
    """An integer. Floats and booleans are refused (1.5 must not quietly become 1, True is not
    1 item). `from_string=True` also takes a string of digits (query parameters)."""

    default_error_messages = {"invalid": "Not a valid whole number."}
    string_pattern = r"\d{1,18}"

    def __init__(self, *, from_string=False, **kwargs):
        self.from_string = from_string
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int):
            return value
        if self.from_string and isinstance(value, str) and re.fullmatch(self.string_pattern,
                                                                         value):
            return int(value)
        raise self.make_error("invalid")


class Strict(Schema):
    """Unknown fields are refused by name (details.fields.<field> = ["Unknown field."])."""

    class Meta:
        unknown = RAISE


class RefOut(Schema):
    """A brand or a category as products, search documents and recommendations name it."""
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)


def not_blank(value):
    """A validator: a string of white space only is refused (None is for allow_none to judge)."""
    if value is not None and not value.strip():
        raise ValidationError("Must not be blank.")


def text(max_len, min_len=1, **kwargs):
    """A string of min_len..max_len characters, not only white space."""
    return fields.String(validate=[validate.Length(min=min_len, max=max_len), not_blank],
                         **kwargs)


def whole_id(**kwargs):
    """A row id: a Whole from 1."""
    return Whole(validate=validate.Range(min=1), **kwargs)


def exactly_one_of(*names, message):
    """A schema-level check (for a Schema's body) that exactly one of the fields `names` is
    given; otherwise `message` is the error under details.fields._schema.

        _one_way_to_pay = exactly_one_of("token", "card", message="Send exactly one of …")
    """
    @validates_schema
    def check(self, data, **_):
        if sum(name in data for name in names) != 1:
            raise ValidationError(message, "_schema")
    return check
