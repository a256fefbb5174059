"""An ack written just as RabbitMQ goes away must not kill the service (issue 14).

nameko's QueueConsumer.ack_message catches amqp's ConnectionError but not the socket's own
(ConnectionResetError, BrokenPipeError): in the restart story an RPC worker's ack hit a broker
that was shutting down and orders.2 exited. kit.nameko_patches (applied by every service via
kit.sidedoor) drops such an ack: the broker redelivers a dead connection's unacked messages.
Here: a real message from the chaos RabbitMQ, its socket cut under it, then nameko's ack.
"""
import socket
import uuid

from kombu import Connection
from nameko.messaging import QueueConsumer

import kit.sidedoor  # noqa: F401  (what every service imports)


def test_acking_on_a_cut_broker_connection_does_not_raise(chaos_config):
    name = f"chaos.ack-probe.{uuid.uuid4().hex[:8]}"
    with Connection(chaos_config["AMQP_URI"]) as conn:
        queue = conn.SimpleQueue(name, queue_opts={"auto_delete": True})
        queue.put({"probe": 1})
        message = queue.get(timeout=10)
        conn.connection.transport.sock.shutdown(socket.SHUT_RDWR)  # the broker went away
        assert message.channel.connection  # nameko only checks this before acking
        QueueConsumer().ack_message(message)
        QueueConsumer().requeue_message(message)
