"""Query filters of the audit log."""
from marshmallow import RAISE, Schema, fields, validate

from kit.topology import STREAM_FOR_SOURCE


class AuditQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(load_default=None, validate=validate.Length(max=100))
    source = fields.String(load_default=None, validate=validate.OneOf(tuple(STREAM_FOR_SOURCE)))
    since = fields.AwareDateTime(load_default=None, default_timezone=None)
    until = fields.AwareDateTime(load_default=None, default_timezone=None)
    correlation_id = fields.String(load_default=None, validate=validate.Length(max=100))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    after_id = fields.Integer(load_default=None, validate=validate.Range(min=0))
