"""OpenAPI part of /metrics (gateway/metrics.py): Prometheus text, for the scraper only
(the proxies in ops/proxy/ refuse it from outside)."""
from gateway.openapi import operation

_METRICS = operation("Prometheus metrics", "health", "200", {"type": "string"}, auth=False)
_METRICS["description"] = ("Prometheus text format 0.0.4: RED per route (`aarya_http_*`) and "
                           "open WebSocket/SSE clients (`aarya_realtime_clients`).")
_METRICS["responses"]["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}

PATHS = {"/metrics": {"get": _METRICS}}
