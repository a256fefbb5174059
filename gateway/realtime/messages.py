"""What travels to a client: stream events rendered once for everyone, and control messages.

An event reaches a client as the same JSON on a WebSocket and in an SSE `data:` line:

    {"type": "order.status.updated", "id": "1764000000000-0", "event_id": "<uuid>",
     "occurred_at": "2026-11-23T10:00:00.123Z", "data": {...}}

`id` is the stream entry id (SSE clients send it back as Last-Event-ID); `type` is the event type.
Control messages have a plain word as type ("ready", "error", "subscribed", ...), never a dotted
one, so clients can tell them from events. Rendering is lazy and cached: the first writer that
needs the JSON (or the SSE frame, or the bytes of a WebSocket frame or an HTTP chunk) makes it,
every other client reuses it — an event is encoded once per view, not once per client.

Wire framings (`frame(framing)`): WS is one unmasked, uncompressed text frame (valid even when
permessage-deflate was negotiated: RSV1 unset means "not compressed", RFC 7692 §6); SSE_CHUNKED
is the SSE text as one HTTP/1.1 chunk (gunicorn sends a streamed body chunked); SSE is the bare
text (HTTP/1.0 clients).
"""
import json
import re

_ENTRY_ID = re.compile(r"^(\d{1,20})(?:-(\d{1,20}))?$")
ZERO_ID = "0-0"


def parse_entry_id(text):
    """A stream entry id as a comparable (ms, seq) tuple, or None if it is not one."""
    match = _ENTRY_ID.match(str(text or "").strip())
    if not match:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def entry_ms(entry_id):
    return int(str(entry_id).split("-", 1)[0])


WS = "ws"
SSE = "sse"
SSE_CHUNKED = "sse-chunked"


def ws_text_frame(data):
    """One server-to-client WebSocket text frame (FIN, opcode 1, no mask) around UTF-8 bytes."""
    length = len(data)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 65536:
        header = b"\x81\x7e" + length.to_bytes(2, "big")
    else:
        header = b"\x81\x7f" + length.to_bytes(8, "big")
    return header + data


def http_chunk(data):
    return b"%X\r\n%b\r\n" % (len(data), data)


def encode_frame(framing, json_text, sse_text):
    if framing == WS:
        return ws_text_frame(json_text().encode())
    if framing == SSE_CHUNKED:
        return http_chunk(sse_text().encode())
    return sse_text().encode()


def cached_frame(message, framing):
    """`message`'s bytes in `framing`, encoded on first use and kept on the message."""
    frames = message._frames
    if frames is None:
        frames = message._frames = {}
    data = frames.get(framing)
    if data is None:
        data = frames[framing] = encode_frame(framing, lambda: message.json,
                                              lambda: message.sse)
    return data


def dumps(payload):
    return json.dumps(payload, separators=(",", ":"), default=str)


class EventMessage:
    """One stream event as one client view; shared by every client it is delivered to."""

    __slots__ = ("entry_id", "order_key", "type", "payload", "_json", "_sse", "_frames")

    def __init__(self, entry_id, event, data):
        self.entry_id = entry_id
        self.order_key = parse_entry_id(entry_id)
        self.type = event["type"]
        self.payload = {"type": event["type"], "id": entry_id, "event_id": event["id"],
                        "occurred_at": event["occurred_at"], "data": data}
        self._json = None
        self._sse = None
        self._frames = None

    def frame(self, framing):
        """The bytes a socket of this framing gets: made by the first, shared by all."""
        return cached_frame(self, framing)

    @property
    def json(self):
        if self._json is None:
            self._json = dumps(self.payload)
        return self._json

    @property
    def sse(self):
        if self._sse is None:
            self._sse = sse_frame(self.json, event=self.type, event_id=self.entry_id)
        return self._sse


class Control:
    """A message for one client (or a few): ready, error, replies, ephemeral chat signals."""

    __slots__ = ("payload", "order_key", "_json", "_frames")

    def __init__(self, payload):
        self.payload = payload
        self.order_key = None
        self._json = None
        self._frames = None

    @property
    def sse(self):
        return sse_frame(self.json)

    def frame(self, framing):
        return cached_frame(self, framing)

    @property
    def json(self):
        if self._json is None:
            self._json = dumps(self.payload)
        return self._json


def control(message_type, **fields):
    return Control({"type": message_type, **fields})


def error(code, message, details=None, ref=None):
    payload = {"type": "error", "code": code, "message": message}
    if details:
        payload["details"] = details
    if ref is not None:
        payload["ref"] = ref
    return Control(payload)


def sse_frame(data, event=None, event_id=None):
    """One server-sent event. `data` is one line of JSON, so it needs no splitting."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.append(f"data: {data}")
    return "\n".join(lines) + "\n\n"


SSE_PING = ": ping\n\n"


class Ping:
    """The SSE keep-alive comment as a message (it has no WebSocket form: WS pings are frames)."""
    order_key = None

    @staticmethod
    def frame(framing):
        return http_chunk(SSE_PING.encode()) if framing == SSE_CHUNKED else SSE_PING.encode()


PING = Ping()
