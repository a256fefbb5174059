"""One WebSocket connection: authenticate first, then a writer and a reader.

    connect  /ws/<channel>?access_token=<token>          (or, without it, send within
             {"action": "auth", "token": "<token>"}       GATEWAY.ws_auth_timeout_s)
    ←        {"type": "ready", "channel": ..., "user_id": ..., "role": ..., "connection_id": ...}
    ←        events {"type": "<event type>", "id", "event_id", "occurred_at", "data"}
    →        {"action": ..., "ref": <anything, echoed in the reply>, ...}
    ←        a reply, or {"type": "error", "code", "message", "details"?, "ref"?}

A missing, bad, expired or revoked token closes the socket with 1008 before anything is sent
(the reason is the error code, e.g. "invalid_token"); so does a staff-only channel for a
customer ("forbidden"). A malformed message only earns an error message; the socket stays.
Later the socket closes with 1008 when its token expires or its session is signed out (send
{"action": "auth", "token": <fresh token>} before `exp` to stay), 1013 "slow_consumer" when
it cannot keep up, 1001 when the gateway shuts down. Ping frames every GATEWAY.heartbeat_s keep
it alive through proxies; a client that stops answering them is closed.

The handler greenlet is the writer; a second greenlet reads and runs the client's actions,
replying through the same subscriber, so messages leave in order. Under gunicorn the subscriber
is attached to an Outlet on the socket (outlet.py) once "ready" is queued: the hub writes
events and replies as frames encoded once for every client, straight from the tail's greenlet,
and the handler greenlet only wakes to finish a write the kernel did not take, or to close.
Without gunicorn's socket it drains the subscriber's queue and sends, as before.
"""
import json
import logging
import socket as socketlib

import gevent
import redis
from flask import current_app, g, request
from gevent.lock import Semaphore
from simple_websocket import ConnectionClosed
from wsproto.events import TextMessage

from gateway import errors as error_table
from gateway.auth import require_user, verified_claims
from gateway.correlation import new_correlation_id
from gateway.realtime import messages
from gateway.realtime.hub import INTERNAL_ERROR, POLICY_VIOLATION, WAKE, Subscriber, drain
from gateway.realtime.outlet import Outlet
from gateway.rpc import ServiceCaller
from kit.errors import Forbidden, ServiceError, Unauthorized, ValidationFailed
from kit.tokens import InvalidToken

log = logging.getLogger(__name__)

STAFF_ROLES = ("support", "admin")


class FrameSafeSocket:
    """The client socket as simple-websocket should see it: each write whole and one at a time.

    simple-websocket writes frames with `sock.send()`, which may send only part of a frame when
    the kernel buffer is nearly full, and its own greenlet (pings, pongs, close replies) writes
    while ours does — gevent refuses two greenlets waiting on one socket. So `send` is `sendall`
    under a lock.
    """

    def __init__(self, sock):
        self._sock = sock
        self._writing = Semaphore()

    def send(self, data, *flags):
        with self._writing:
            self._sock.sendall(data, *flags)
        return len(data)

    sendall = send

    def outlet(self, framing):
        """An Outlet writing to this socket under the same lock as simple-websocket."""
        return Outlet(self._sock, framing, lock=self._writing)

    def cut(self):
        """End the connection now, even under a write stuck on a peer that stopped reading."""
        try:
            self._sock.shutdown(socketlib.SHUT_RDWR)
        except OSError:
            pass

    def __getattr__(self, name):  # recv, fileno, close, ... as they are
        return getattr(self._sock, name)


def send_texts(ws, texts):
    """Send text messages; several that queued up meanwhile leave in one write. (simple-websocket
    sends one message per write; framing them with its wsproto connection keeps whatever
    extension the client negotiated.)"""
    if len(texts) == 1:
        ws.send(texts[0])
        return
    if not ws.connected:
        raise ConnectionClosed(ws.close_reason, ws.close_message)
    ws.sock.send(b"".join(ws.ws.send(TextMessage(data=text)) for text in texts))


def install_frame_safe_socket():
    """before_request of the WebSocket routes: wrap gunicorn's socket before flask-sock takes it."""
    sock = request.environ.get("gunicorn.socket")
    if sock is not None and not isinstance(sock, FrameSafeSocket):
        request.environ["gunicorn.socket"] = FrameSafeSocket(sock)


def is_staff(role):
    return role in STAFF_ROLES


def error_message(exc, ref=None):
    """An exception from an action as the error message the client gets."""
    if isinstance(exc, ServiceError):
        return messages.error(exc.code, exc.message, exc.details, ref)
    found = error_table.lookup(exc)
    if found is None:
        log.exception("WebSocket action failed")
        return messages.error("internal_error", "Something went wrong on our side.", ref=ref)
    code, status = found
    log.warning("WebSocket action: upstream %s: %s", type(exc).__name__, exc)
    return messages.error(code, error_table.UPSTREAM_MESSAGES.get(status, ""), ref=ref)


def invalid(field, problem):
    return ValidationFailed("validation_failed", "Some fields are invalid.",
                            {"fields": {field: [problem]}})


class WsSession:
    """A WebSocket client after it authenticated: its subscriber, its actions, its presence."""

    def __init__(self, ws, channel, rt, principal, expires_at, abort, raw=None):
        self.ws = ws
        self.raw = raw  # the FrameSafeSocket under simple-websocket, when gunicorn gave one
        self.channel = channel
        self.rt = rt
        self.principal = principal
        self.app = current_app._get_current_object()
        self.correlation_id = g.get("correlation_id") or new_correlation_id()
        self.state = {}  # the channel's own per-connection state
        self.sub = Subscriber(f"ws:{channel.name}", rt.settings.client_buffer,
                              user_id=principal.user_id, role=principal.role,
                              session_id=principal.session_id, expires_at=expires_at)
        self.sub.abort = abort

    @property
    def user_id(self):
        return self.principal.user_id

    @property
    def role(self):
        return self.principal.role

    # ---- for channels --------------------------------------------------------------------------

    def reply(self, item):
        self.rt.hub.deliver(self.sub, item)

    def subscribe(self, key):
        self.rt.hub.subscribe(self.sub, key)

    def unsubscribe(self, key):
        self.rt.hub.unsubscribe(self.sub, key)

    def rpc(self, service):
        return ServiceCaller(self.rt.rpc_pool, service, self.correlation_id)

    def require_staff(self):
        if not is_staff(self.role):
            raise Forbidden("forbidden", "Your role does not allow this.",
                            {"required_roles": list(STAFF_ROLES)})

    # ---- the connection ------------------------------------------------------------------------

    def run(self):
        hub, sub = self.rt.hub, self.sub
        ready = {"channel": self.channel.name, "user_id": self.user_id, "role": self.role,
                 "connection_id": sub.conn_id}
        # "ready" is queued before the subscriber joins: every event it gets comes after it.
        sub.queue.put_nowait(messages.control("ready", **ready))
        hub.add(sub, self.channel.initial_keys(self))
        self.channel.on_ready(self)
        self.rt.presence.connected(sub.conn_id, self.user_id)
        reader = gevent.spawn(self._read_loop)
        try:
            if self.raw is not None:
                self._write_through_outlet()
            else:
                self._write_loop()
        except (ConnectionClosed, OSError):
            pass  # the peer went away or the socket was cut
        finally:
            hub.remove(sub)
            sub.finished = True
            reader.kill(block=True, timeout=2)
            syncing = self.rt.presence.disconnected(sub.conn_id, self.user_id)
            if syncing is not None and self.rt.draining:
                # gunicorn waits for this greenlet, not for the sync: a stopping worker
                # must still tell the users service that this user left.
                syncing.join(timeout=5)

    def _write_loop(self):
        sub, ws = self.sub, self.ws
        while True:
            batch = [sub.queue.get()]
            batch += drain(sub.queue)
            if sub.dropped is not None or sub.client_gone:
                break
            texts = [item.json for item in batch if item is not WAKE]
            if texts:
                send_texts(ws, texts)
        if sub.dropped is not None and not sub.client_gone:
            code, reason = sub.dropped
            ws.close(code, reason)

    def _write_through_outlet(self):
        sub, outlet = self.sub, self.raw.outlet(messages.WS)
        self.rt.hub.attach(sub, outlet)
        while True:
            outlet.drain()
            if sub.dropped is not None or sub.client_gone or outlet.failed:
                break
            outlet.wait(None)
        if outlet.failed:
            raise ConnectionClosed(None, None)
        outlet.drain()  # the rest of a frame half written when it was dropped
        if sub.dropped is not None and not sub.client_gone:
            code, reason = sub.dropped
            self.ws.close(code, reason)

    def _read_loop(self):
        with self.app.app_context():
            try:
                while True:
                    raw = self.ws.receive()
                    if raw is not None:
                        self.handle(raw)
            except ConnectionClosed:
                pass
            finally:
                self.sub.client_gone = True
                self.sub.wake()

    def handle(self, raw):
        """One message from the client: parse, check, run its action, reply."""
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.reply(messages.error("malformed_json", "Messages must be JSON text."))
                return
        try:
            message = json.loads(raw)
        except ValueError:
            self.reply(messages.error("malformed_json", "The message is not valid JSON."))
            return
        if not isinstance(message, dict):
            self.reply(messages.error("json_object_required", "Send a JSON object."))
            return
        ref = message.get("ref")
        action = message.get("action")
        if not isinstance(action, str):
            self.reply(messages.error("validation_failed", "Say what to do in `action`.",
                                      {"fields": {"action": ["A string is required."]}}, ref))
            return
        handler = COMMON_ACTIONS.get(action) or self.channel.actions.get(action)
        if handler is None:
            allowed = sorted({*COMMON_ACTIONS, *self.channel.actions})
            self.reply(messages.error("unknown_action", f"Unknown action {action[:40]!r}.",
                                      {"action": action[:40], "allowed": allowed}, ref))
            return
        try:
            answer = handler(self, message)
        except Exception as exc:  # every failure is an error message; the socket stays open
            self.reply(error_message(exc, ref))
            return
        if answer is not None:
            if ref is not None:
                answer.payload["ref"] = ref
            self.reply(answer)


# ---- actions every channel understands --------------------------------------------------------

def _reauthenticate(session, message):
    """A fresh token for the same user extends the connection past the old token's expiry."""
    token = message.get("token")
    if not isinstance(token, str) or not token:
        raise invalid("token", "A string is required.")
    principal, expires_at = check_token(token)
    if principal.user_id != session.user_id:
        raise Forbidden("different_user", "This connection belongs to another user.")
    session.principal = principal
    session.sub.role, session.sub.session_id = principal.role, principal.session_id
    session.sub.expires_at = expires_at
    return messages.control("authenticated", user_id=principal.user_id, expires_at=expires_at)


def _ping(session, message):
    return messages.control("pong")


COMMON_ACTIONS = {"auth": _reauthenticate, "ping": _ping}


# ---- before the session: who is it ------------------------------------------------------------

def check_token(token):
    """(principal, exp) for a valid, unrevoked token; Unauthorized otherwise."""
    principal = require_user(token=token)
    try:
        claims = verified_claims(token)
    except InvalidToken:
        raise Unauthorized("invalid_token", "The access token is invalid or expired.")
    return principal, int(claims["exp"])


def _first_message_token(ws, timeout):
    raw = ws.receive(timeout=timeout)
    if raw is None:
        raise Unauthorized("auth_timeout", "Send {\"action\": \"auth\", \"token\": ...} first.")
    try:
        message = json.loads(raw)
    except ValueError:
        message = None
    if not isinstance(message, dict) or message.get("action") != "auth" \
            or not isinstance(message.get("token"), str):
        raise Unauthorized("auth_required", "The first message must be "
                                            "{\"action\": \"auth\", \"token\": ...}.")
    return message["token"]


def serve(ws, channel, rt):
    """The body of every /ws/<channel> route."""
    raw = request.environ.get("gunicorn.socket")
    abort = getattr(raw, "cut", None)
    try:
        token = request.args.get("access_token")
        if token is None:
            token = _first_message_token(ws, rt.settings.ws_auth_timeout_s)
        principal, expires_at = check_token(token)
        if channel.staff_only and not is_staff(principal.role):
            raise Forbidden("forbidden", "This channel is for staff.")
    except (Unauthorized, Forbidden) as exc:
        ws.close(POLICY_VIOLATION, exc.code)
        return
    except ConnectionClosed:
        return  # gone before it said who it was
    except redis.RedisError as exc:
        log.warning("WebSocket auth: Redis unavailable: %s", exc)
        ws.close(INTERNAL_ERROR, "upstream_unavailable")
        return
    try:
        WsSession(ws, channel, rt, principal, expires_at, abort,
                  raw if isinstance(raw, FrameSafeSocket) else None).run()
    except ConnectionClosed:
        pass
    except Exception:
        log.exception("WebSocket session on /ws/%s failed", channel.name)
        try:
            ws.close(INTERNAL_ERROR, "internal_error")
        except Exception:  # already closed
            pass
