"""Schema pieces shared by every service: `load` (marshmallow errors become ValidationFailed)
and the fields that every service needs alike."""
import re

from marshmallow import ValidationError, fields

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
