"""One SSE connection: join the hub, resume from Last-Event-ID (see replay.py), then live events.

The body is `text/event-stream`; every event has `id:` (its stream entry id), `event:` (its
type) and one `data:` line of JSON. Control frames: `event: ready` once the connection listens
(with `id:` = where it starts, when it resumes nothing), `event: reset` when the Last-Event-ID
cannot be resumed (reload what you show, then live events follow), `: ping` comments every
GATEWAY.heartbeat_s so proxies keep an idle connection open. A client too slow to keep up is
dropped (the connection just ends) and resumes with its Last-Event-ID like after any other cut.

Under gunicorn, once the replay is written the subscriber is attached to an Outlet on the raw
socket (outlet.py): live events reach it as HTTP chunks written by the hub itself, and this
generator only wakes for what the kernel did not take, the heartbeat and the end. Without a
raw socket (another WSGI server) it keeps reading its queue and yielding, as before.
"""
import logging

import redis
from gevent.queue import Empty

from gateway.realtime import replay
from gateway.realtime.hub import WAKE, Subscriber, drain
from gateway.realtime.messages import (PING, SSE, SSE_CHUNKED, SSE_PING, dumps, parse_entry_id,
                                       sse_frame)
from gateway.realtime.outlet import Outlet
from gateway.realtime.routing import public_message, sse_key
from kit.envelope import from_stream_fields

log = logging.getLogger(__name__)

RETRY_MS = 3000
REPLAY_FRAMES_PER_WRITE = 64
RESET_MESSAGE = ("Some events you missed are no longer available; reload what you show, "
                 "live events follow.")


def event_stream(rt, topic, last_event_id, abort, raw_socket=None, chunked=True):
    """The response body for one client, as a generator of SSE text. `raw_socket` (gunicorn's,
    with `chunked` saying whether gunicorn frames this body in HTTP chunks) lets the hub write
    live events to it directly."""
    sub = Subscriber(f"sse:{topic.name}", rt.settings.client_buffer)
    sub.abort = abort
    # The first chunk sends the headers at once; nothing is registered until the body starts
    # (a response that is never iterated must not leave a subscriber behind).
    yield f"retry: {RETRY_MS}\n\n"
    try:
        rt.hub.add(sub, [sse_key(topic.name)])
        joined_at = rt.tail.position(topic.stream)  # no yield since add(): see tail.py
        skip_upto = parse_entry_id(joined_at)
        client = rt.redis()
        status, reason = replay.resume_point(client, topic.stream, last_event_id)
        if status == replay.FRESH:
            yield sse_frame(dumps({"topic": topic.name, "resumed": False}), event="ready",
                            event_id=joined_at)
        elif status == replay.RESET:
            yield sse_frame(dumps({"topic": topic.name, "reason": reason,
                                   "message": RESET_MESSAGE}), event="reset", event_id=joined_at)
        else:
            yield sse_frame(dumps({"topic": topic.name, "resumed": True,
                                   "after": last_event_id}), event="ready")
            skip_upto = max(skip_upto, parse_entry_id(last_event_id))
            missed = []
            for entry_id, fields in replay.entries_between(client, topic.stream, last_event_id,
                                                           joined_at, rt.settings.replay_page):
                event = _event(topic.stream, entry_id, fields)
                if event is not None and topic.wants(event):
                    missed.append(public_message(entry_id, event).sse)
                if len(missed) >= REPLAY_FRAMES_PER_WRITE:
                    yield "".join(missed)
                    missed = []
                    if sub.dropped is not None:
                        return
            if missed:
                yield "".join(missed)
        if raw_socket is not None:
            yield from _live_through_outlet(rt, sub, Outlet(raw_socket, SSE_CHUNKED if chunked
                                                            else SSE), skip_upto)
            return
        while True:
            try:
                batch = [sub.queue.get(timeout=rt.settings.heartbeat_s)]
            except Empty:
                yield SSE_PING
                continue
            batch += drain(sub.queue)
            if sub.dropped is not None:
                return
            frames = [item.sse for item in batch if item is not WAKE and (
                item.order_key is None or item.order_key > skip_upto)]
            if frames:
                yield "".join(frames)  # one write for whatever queued up meanwhile
    except redis.RedisError as exc:
        log.warning("SSE %s ended: Redis unavailable (%s); the client will reconnect",
                    topic.name, exc)
    finally:
        rt.hub.remove(sub)
        sub.finished = True


def _live_through_outlet(rt, sub, outlet, skip_upto):
    """Live events written by the hub (a generator that yields nothing: gunicorn must not write
    to the socket while the hub does; it ends the body when this returns)."""
    rt.hub.attach(sub, outlet, keep=lambda item: item.order_key is None
                  or item.order_key > skip_upto)
    try:
        while sub.dropped is None and not outlet.failed:
            if not outlet.wait(rt.settings.heartbeat_s) and sub.dropped is None:
                rt.hub.deliver(sub, PING)
            outlet.drain()
    except OSError:
        return  # the peer went away or the socket was cut
    if False:
        yield ""


def _event(stream, entry_id, fields):
    try:
        return from_stream_fields(fields)
    except (KeyError, ValueError):
        log.warning("skipping malformed entry %s of %s", entry_id, stream)
        return None
