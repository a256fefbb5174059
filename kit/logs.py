"""JSON log lines for every process (python-json-logger), one object per line.

Each line has `timestamp` (UTC, ISO 8601), `level`, `process` (users … bridge, gateway; `.N` for
replica N), `logger`, `message`, and when known `correlation_id`, `event_id`, `route`/`method`
and `duration_ms`. The id of the request or event being handled comes from a context variable
that the kit sets per worker (kit.metrics) and the gateway per request (gateway.metrics), so a
plain `log.info(...)` anywhere inside a worker carries it; `extra={...}` adds or overrides.

Config picks it in LOGGING (config/<env>.yaml):
    formatters: {json: {"()": kit.logs.JsonFormatter}}
"""
import contextvars
import os
import re
import sys
from datetime import datetime, timezone

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

_CONTEXT = contextvars.ContextVar("aarya_log_context", default={})
_PROCESS = None
# LogRecord attributes that are not worth a field of their own in every line.
_DROP = ("color_message",)


def bind(**fields):
    """Set fields of this worker's / request's context (None removes a field)."""
    current = dict(_CONTEXT.get())
    for key, value in fields.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    _CONTEXT.set(current)


def context():
    return _CONTEXT.get()


def process_name(argv=None):
    """The process's name as platformctl, compose and k8s call it, from $AARYA_PROCESS or argv."""
    global _PROCESS
    if argv is None and _PROCESS is not None:
        return _PROCESS
    name = os.environ.get("AARYA_PROCESS")
    if not name:
        args = list(sys.argv if argv is None else argv)
        joined = " ".join(args)
        service = re.search(r"services\.(\w+)\.service", joined)
        if service:
            name = service.group(1)
        elif "gateway.app" in joined or "gunicorn" in (args[0] if args else ""):
            name = "gateway"
        elif args and re.search(r"bridge(/__main__\.py)?$", args[0]):
            name = "bridge"
        else:
            name = os.path.basename(args[0]) if args else "python"
        replica = os.environ.get("AARYA_REPLICA")
        if replica and replica != "1":
            name = f"{name}.{replica}"
    if argv is None:
        _PROCESS = name
    return name


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        log_record["timestamp"] = datetime.fromtimestamp(record.created, timezone.utc) \
            .isoformat(timespec="milliseconds").replace("+00:00", "Z")
        log_record["process"] = process_name()
        for key, value in context().items():
            log_record.setdefault(key, value)
        for key in _DROP:
            log_record.pop(key, None)
        # Fields given as None in `extra` (e.g. no error) would only add noise.
        for key in [k for k, v in log_record.items() if v is None]:
            del log_record[key]
