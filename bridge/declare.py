"""Declares what the bridge depends on, idempotently, so start order never matters.

AMQP: every service's events exchange, the bridge queue, and a `#` binding to each exchange.
Redis: every domain stream with the five consumer groups, and the dead_letter stream.
"""
import logging

from kombu import Queue, binding
from nameko.standalone.events import get_event_exchange
from redis.exceptions import ResponseError

from kit.topology import ALL_SERVICES, ALL_STREAMS, CONSUMER_GROUPS

log = logging.getLogger(__name__)


def bridge_queue(queue_name, config):
    """The bridge queue with its bindings.

    The exchanges come from nameko's own get_event_exchange, so their arguments always equal
    what a nameko service declares (topic, durable, auto_delete from AUTO_DELETE_EVENT_EXCHANGES,
    false when unset); any difference would make RabbitMQ refuse one side with 406.
    The queue itself is durable with no extra arguments, as kit.outbox declares it too.
    """
    bindings = [binding(get_event_exchange(service, config), routing_key="#")
                for service in ALL_SERVICES]
    return Queue(queue_name, durable=True, bindings=bindings)


def declare_amqp(channel, queue_name, config):
    queue = bridge_queue(queue_name, config)
    queue.maybe_bind(channel).declare()  # the queue, then per binding: its exchange, the bind
    log.info("declared queue %s bound to %d events exchanges", queue_name, len(queue.bindings))
    return queue


def declare_streams(client, dead_letter_stream):
    """XGROUP CREATE … 0 MKSTREAM for every stream × group; an existing group is left as it is."""
    pipe = client.pipeline(transaction=False)
    for stream in ALL_STREAMS:
        for group in CONSUMER_GROUPS:
            pipe.xgroup_create(stream, group, id="0", mkstream=True)
    for result in pipe.execute(raise_on_error=False):
        if isinstance(result, Exception) and not _is_busygroup(result):
            raise result
    if not client.exists(dead_letter_stream):
        # Redis has no "create empty stream": MKSTREAM through a throwaway group, then drop it.
        try:
            client.xgroup_create(dead_letter_stream, "bridge_mkstream", id="$", mkstream=True)
            client.xgroup_destroy(dead_letter_stream, "bridge_mkstream")
        except ResponseError as exc:
            if not _is_busygroup(exc):  # another bridge replica got there first
                raise
    log.info("%d streams have groups %s; %s exists", len(ALL_STREAMS),
             ", ".join(CONSUMER_GROUPS), dead_letter_stream)


def _is_busygroup(exc):
    return isinstance(exc, ResponseError) and str(exc).startswith("BUSYGROUP")
