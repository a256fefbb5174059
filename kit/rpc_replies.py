"""An RPC reply the broker cannot take is logged and dropped instead of killing the service.

nameko 2.14 publishes each RPC reply from the worker; if RabbitMQ is down at that moment the
publish raises, the worker's error kills the container and the whole process exits (seen: a
RabbitMQ restart under a checkout load took products, orders and payments down for good). The
reply is undeliverable anyway (the caller's reply queue went with the broker, and the caller
times out and retries with its Idempotency-Key), so dropping it loses nothing; the request
itself stays unacked on the dead connection and the broker requeues it. Imported by
kit.sidedoor, i.e. by every service.
"""
import logging

import amqp.exceptions
import kombu.exceptions
from nameko import rpc as nameko_rpc

log = logging.getLogger(__name__)

BROKER_GONE = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
               ConnectionError, OSError)


class Responder(nameko_rpc.Responder):
    def send_response(self, result, exc_info):
        try:
            return super().send_response(result, exc_info)
        except BROKER_GONE as exc:
            log.warning("RPC reply to %s dropped, broker unreachable: %r",
                        self.message.properties.get("reply_to"), exc)
            return result, exc_info


# RpcConsumer.handle_result looks `Responder` up in nameko.rpc at call time.
nameko_rpc.Responder = Responder
