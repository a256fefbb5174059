"""OpenAPI part of liveness and of this document (gateway/routes/health.py, openapi.py)."""
from gateway.openapi import HEALTH_SCHEMAS, operation, ref

SCHEMAS = HEALTH_SCHEMAS

PATHS = {
    "/health": {"get": operation("Gateway liveness", "health", "200", ref("Health"), auth=False)},
    "/api/openapi.json": {"get": operation("This document", "health", "200", {"type": "object"},
                                           auth=False)},
}
