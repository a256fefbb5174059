"""Real clients for the stories: WebSocket (websocket-client) and SSE (requests, stream=True),
plus `Shop`, which writes well-formed events onto the real streams as the services would."""
import json
import queue
import socket
import struct
import threading
import time

import requests
import websocket

from kit.envelope import make_envelope, to_stream_fields
from kit.topology import STREAM_FOR_SOURCE


class Closed(Exception):
    """The server closed the WebSocket: `code` and `reason` of its close frame (None if it
    just hung up)."""

    def __init__(self, code=None, reason=""):
        super().__init__(f"closed {code} {reason}")
        self.code, self.reason = code, reason


class WsClient:
    def __init__(self, url, timeout=5, **options):
        self.ws = websocket.create_connection(url, timeout=timeout, **options)
        self.received = []

    def send(self, payload):
        self.ws.send(payload if isinstance(payload, str) else json.dumps(payload))

    def next(self, timeout=5):
        """The next message as a dict (ping frames are answered and skipped); Closed if the
        server closed the socket."""
        deadline = time.monotonic() + timeout
        while True:
            self.ws.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                opcode, data = self.ws.recv_data(control_frame=True)
            except websocket.WebSocketConnectionClosedException:
                raise Closed(None, "connection ended")
            except (ConnectionError, OSError) as exc:
                if isinstance(exc, (socket.timeout, websocket.WebSocketTimeoutException)):
                    raise
                raise Closed(None, str(exc))
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
                raise Closed(code, data[2:].decode(errors="replace"))
            if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                message = json.loads(data)
                self.received.append(message)
                return message

    def wait_for(self, predicate, timeout=5, what="a message"):
        """The first message matching `predicate`, skipping others (kept in .received)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {what} within {timeout}s; got {self.received[-5:]}")
            try:
                message = self.next(timeout=left)
            except (websocket.WebSocketTimeoutException, socket.timeout):
                continue
            if predicate(message):
                return message

    def wait_type(self, message_type, timeout=5):
        return self.wait_for(lambda m: m.get("type") == message_type, timeout, message_type)

    def nothing_for(self, seconds, predicate=lambda m: True):
        """Assert that no matching message arrives for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                message = self.next(timeout=deadline - time.monotonic())
            except (websocket.WebSocketTimeoutException, socket.timeout):
                return
            assert not predicate(message), f"unexpected {message}"

    def closed(self, timeout=5):
        """Read until the server closes; the Closed it closed with."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.next(timeout=deadline - time.monotonic())
            except Closed as closed:
                return closed
            except (websocket.WebSocketTimeoutException, socket.timeout):
                break
        raise AssertionError(f"still open after {timeout}s")

    def close(self):
        try:
            self.ws.close(timeout=1)
        except Exception:  # already gone
            pass


def ws_connect(base_ws_url, path, token=None, **options):
    """Open /ws/<path> with ?access_token= and wait for its ready message."""
    url = f"{base_ws_url}{path}" + (f"?access_token={token}" if token else "")
    client = WsClient(url, **options)
    client.ready = client.wait_type("ready")
    return client


class SseEvent:
    def __init__(self, event_id, event, data):
        self.id, self.event, self.data = event_id, event, data

    def __repr__(self):
        return f"<SseEvent {self.event} {self.id}>"


class SseClient:
    """Reads an SSE response in a thread; `next()` hands over events (comments are counted)."""

    def __init__(self, url, last_event_id=None, timeout=10):
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.response = requests.get(url, headers=headers, stream=True, timeout=timeout)
        self._socket = getattr(self.response.raw.connection, "sock", None)
        self.events = queue.Queue()
        self.comments = 0
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        event_id, event, data = None, None, []
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line == "":
                    if data:
                        self.events.put(SseEvent(event_id, event or "message",
                                                 json.loads("\n".join(data))))
                    event_id, event, data = None, None, []
                elif line.startswith(":"):
                    self.comments += 1
                else:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "id":
                        event_id = value
                    elif field == "event":
                        event = value
                    elif field == "data":
                        data.append(value)
        except Exception:  # closed under us, or by the server
            pass
        finally:
            self.ended.set()

    def next(self, timeout=5):
        return self.events.get(timeout=timeout)

    def take(self, count, timeout=10, event=None, where=None):
        """The next `count` events (of type `event` and matching `where`, skipping others)."""
        taken, deadline = [], time.monotonic() + timeout
        while len(taken) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"got {len(taken)} of {count} events in {timeout}s")
            try:
                found = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if (event is None or found.event == event) and (where is None or where(found)):
                taken.append(found)
        return taken

    def close(self):
        """Hang up now (closing the response alone waits for the reader's blocked read)."""
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.ended.wait(5)
        self.response.close()


class Shop:
    """Writes events onto the real streams, as their owning services (through the bridge) do."""

    def __init__(self, redis_db):
        self.redis = redis_db

    def publish(self, event_type, source, data):
        """XADD a new envelope to the source's stream; its entry id."""
        envelope = make_envelope(event_type, source, data, correlation_id="test-realtime")
        return self.redis.xadd(STREAM_FOR_SOURCE[source], to_stream_fields(envelope))

    def stock_change(self, product_id, status, new=3, **extra):
        return self.publish("product.inventory.updated", "products", {
            "product_id": product_id, "variant_id": product_id * 10, "sku": f"SKU-{product_id}",
            "old": new + 1, "new": new, "delta": -1, "status": status,
            "previous_status": "in_stock", "low_stock_threshold": 5, "reason": "order",
            "order_ref": "ord-secret", **extra})

    def order_update(self, user_id, order_id, status="shipped"):
        return self.publish("order.status.updated", "orders", {
            "order_id": order_id, "user_id": user_id, "status": status})
