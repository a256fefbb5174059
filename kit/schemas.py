"""Schema validation shared by every service: marshmallow errors become ValidationFailed."""
from marshmallow import ValidationError

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
