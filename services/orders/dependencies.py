"""Other services as the orders saga sees them: RPC with a deadline.

nameko 2's RpcProxy waits for a reply forever: with payments killed mid-checkout, every orders
worker would hang on it. `ServiceRpc` gives each call a deadline (ORDERS.rpc_timeout_s, or
payments_timeout_s) and lets the request expire in the queue at the same moment, so a call we
gave up on is not run much later behind our back. A call that may still have run (a reply
lost, not a request) is harmless: every call the saga makes is idempotent per order_ref.
Failures to reach a service, or a crash inside it (nameko's RemoteError), raise
`ServiceUnavailable`: the call is not known to be done, and will be made again. Errors the
service raised on purpose (kit.errors types) come through as they are.
"""
import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy

from services.orders.settings import OrderSettings


class ServiceUnavailable(Exception):
    """A service did not answer in time (down, overloaded, or unknown to the broker)."""

    def __init__(self, service, method, why):
        super().__init__(f"{service}.{method}: {why}")
        self.service = service


class TimedService:
    """What a worker sees: `self.payments.initiate_payment(...)`, bounded in time."""

    def __init__(self, proxy, service, timeout_s):
        self._proxy = proxy
        self._service = service
        self._timeout_s = timeout_s

    def __getattr__(self, method):
        target = getattr(self._proxy, method)

        def call(*args, **kwargs):
            timer = eventlet.Timeout(self._timeout_s)
            try:
                return target.call_async(*args, **kwargs).result()
            except eventlet.Timeout as exc:
                if exc is not timer:
                    raise
                raise ServiceUnavailable(self._service, method,
                                         f"no answer within {self._timeout_s:g}s")
            except UnknownService:
                raise ServiceUnavailable(self._service, method, "no such service running")
            except RemoteError as exc:  # it broke (its database was down, a bug): not done
                raise ServiceUnavailable(self._service, method, f"failed: {exc.exc_type}")
            finally:
                timer.cancel()
        call.__name__ = method
        return call


class ServiceRpc(RpcProxy):
    def __init__(self, target_service, timeout_setting="rpc_timeout_s", **options):
        super().__init__(target_service, **options)
        self.timeout_setting = timeout_setting

    def setup(self):
        settings = OrderSettings.from_config(self.container.config)
        self.timeout_s = getattr(settings, self.timeout_setting)
        self.options["expiration"] = self.timeout_s  # seconds; RabbitMQ drops it after

    def get_dependency(self, worker_ctx):
        return TimedService(super().get_dependency(worker_ctx), self.target_service,
                            self.timeout_s)

