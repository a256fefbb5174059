"""A tiny nameko service the gateway tests call through the RPC pool: it reports the context
data it received, sleeps on request, and raises the kinds of errors real services raise.

Run by the `probe` fixture: `nameko run --config config/test.yaml tests.gateway.probe_service`.
"""
import time

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from kit import errors


class ContextData(DependencyProvider):
    """The worker's nameko context data (correlation_id and friends), as a plain dict."""

    def get_dependency(self, worker_ctx):
        return dict(worker_ctx.data)


class GatewayProbe:
    name = "gateway_probe"

    context = ContextData()

    @rpc
    def context_data(self):
        return self.context

    @rpc
    def sleep(self, seconds):
        time.sleep(seconds)  # eventlet-patched under `nameko run`: other workers go on
        return {"slept": seconds}

    @rpc
    def raise_service_error(self, kind, code, message, details):
        raise getattr(errors, kind)(code, message, details)

    @rpc
    def crash(self):
        raise ValueError("a bug in a service")
