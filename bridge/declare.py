"""Declares what the bridge depends on, idempotently, so start order never matters.

AMQP: every service's events exchange, the bridge queue, and a `#` binding to each exchange
(all as kit.topology defines them, which the publishers use too).
Redis: every domain stream with the five consumer groups, and the dead_letter stream.
"""
import logging

from redis.exceptions import ResponseError

from kit.topology import ALL_STREAMS, CONSUMER_GROUPS, declare_bridge_queue

log = logging.getLogger(__name__)


def declare_amqp(channel, queue_name, config):
    queue = declare_bridge_queue(channel, queue_name, config)
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
