"""Every change we make to nameko itself, in one place; `apply()` is called once, by kit.sidedoor
(i.e. by every service process). Each patch says what nameko 2.14 does and why that hurt.

1. Consumers come back fast after a RabbitMQ outage (`QueueConsumer.establish_connection`).
   nameko's consumers retry a lost RabbitMQ every 2 s at first, then 2 s longer each time:
   kombu's ConsumerMixin calls `ensure_connection` with its defaults (interval_start=2,
   interval_step=2, interval_max=30), so a RabbitMQ down for 45 s left every service's RPC and
   event consumer sleeping up to 12 s more after the broker was back (seen: 14:21:15.9 "Retrying
   in 12.0 seconds", broker up at 14:21:16.1, consumers back at 14:21:28), and after a 2-minute
   outage up to 30 s: the restart story's "healed after" exceeded its 30 s. Here the retries
   start at 0.5 s and stay at most RETRY_MAX_S apart: one connection attempt per process every
   few seconds costs the broker nothing.

2. An ack lost with the broker is not fatal (`QueueConsumer.ack_message`, `requeue_message`).
   nameko acks (or requeues) a message only "if the connection is alive", catching amqp's
   ConnectionError but not the socket's ConnectionResetError, which a RabbitMQ restart raises
   when the ack is written just as the broker goes: it killed orders (RpcConsumer.handle_message
   → ack_message). The broker requeues an unacked message of a dead connection anyway, and every
   handler is idempotent, so a lost ack is harmless.

3. An RPC reply the broker cannot take is logged and dropped (`nameko.rpc.Responder`).
   nameko publishes each RPC reply from the worker; if RabbitMQ is down at that moment the
   publish raises, the worker's error kills the container and the whole process exits (seen: a
   RabbitMQ restart under a checkout load took products, orders and payments down for good). The
   reply is undeliverable anyway (the caller's reply queue went with the broker, and the caller
   times out and retries with its Idempotency-Key), so dropping it loses nothing; the request
   itself stays unacked on the dead connection and the broker requeues it.
"""
import logging
from contextlib import contextmanager

import amqp.exceptions
import kombu.exceptions
from nameko import rpc as nameko_rpc
from nameko.messaging import QueueConsumer

log = logging.getLogger(__name__)

BROKER_GONE = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
               ConnectionError, OSError)

RETRY_START_S = 0.5
RETRY_STEP_S = 0.5
RETRY_MAX_S = 3.0

_applied = False


def apply():
    """Patch nameko (once; later calls do nothing)."""
    global _applied
    if _applied:
        return
    _applied = True
    QueueConsumer.establish_connection = _establish_connection
    QueueConsumer.ack_message = _settle(QueueConsumer.ack_message)
    QueueConsumer.requeue_message = _settle(QueueConsumer.requeue_message)
    # RpcConsumer.handle_result looks `Responder` up in nameko.rpc at call time.
    nameko_rpc.Responder = Responder


# 1. reconnecting consumers

@contextmanager
def _establish_connection(self):
    with self.create_connection() as conn:
        conn.ensure_connection(self.on_connection_error, self.connect_max_retries,
                               interval_start=RETRY_START_S, interval_step=RETRY_STEP_S,
                               interval_max=RETRY_MAX_S)
        yield conn


# 2. acks and requeues on a dead connection

def _settle(settle):
    def settle_message(self, message):
        try:
            settle(self, message)
        except BROKER_GONE as exc:
            log.warning("%s of a message lost with the broker connection (it is redelivered): "
                        "%r", settle.__name__, exc)
    settle_message.__name__ = settle.__name__
    return settle_message


# 3. RPC replies to a gone broker

class Responder(nameko_rpc.Responder):
    def send_response(self, result, exc_info):
        try:
            return super().send_response(result, exc_info)
        except BROKER_GONE as exc:
            log.warning("RPC reply to %s dropped, broker unreachable: %r",
                        self.message.properties.get("reply_to"), exc)
            return result, exc_info
