"""WebSocket (/ws/...) and server-sent events (/sse/...) routes: thin doors into gateway.realtime.

/ws/notifications /ws/orders /ws/inventory /ws/analytics (staff) /ws/chat — protocol in
gateway/realtime/websocket.py and channels.py. /sse/product-updates /sse/price-changes
/sse/stock-alerts /sse/promotions — public, text/event-stream, resumable with Last-Event-ID
(header, or ?last_event_id= for clients that cannot set headers); see gateway/realtime/sse.py.
"""
import socket

from flask import Blueprint, Response, request
from flask_sock import Sock
from werkzeug.exceptions import ServiceUnavailable

from gateway.realtime import realtime
from gateway.realtime.channels import CHANNELS
from gateway.realtime.routing import SSE_TOPICS
from gateway.realtime.sse import event_stream
from gateway.realtime.websocket import install_frame_safe_socket, serve

bp = Blueprint("realtime", __name__)
sock = Sock()

TAIL_READY_TIMEOUT_S = 5


@bp.before_request
def whole_websocket_frames():
    # werkzeug only routes WebSocket upgrades to /ws/ rules (plain HTTP there is a 400).
    if request.path.startswith("/ws/"):
        install_frame_safe_socket()


# ---- WebSocket ----------------------------------------------------------------------------------

@sock.route("/ws/notifications", bp=bp)
def ws_notifications(ws):
    serve(ws, CHANNELS["notifications"], realtime())


@sock.route("/ws/orders", bp=bp)
def ws_orders(ws):
    serve(ws, CHANNELS["orders"], realtime())


@sock.route("/ws/inventory", bp=bp)
def ws_inventory(ws):
    serve(ws, CHANNELS["inventory"], realtime())


@sock.route("/ws/analytics", bp=bp)
def ws_analytics(ws):
    serve(ws, CHANNELS["analytics"], realtime())


@sock.route("/ws/chat", bp=bp)
def ws_chat(ws):
    serve(ws, CHANNELS["chat"], realtime())


# ---- server-sent events -------------------------------------------------------------------------

def sse(topic_name):
    rt = realtime()
    if not rt.tail.wait_ready(TAIL_READY_TIMEOUT_S):
        raise ServiceUnavailable("The event feed is not connected yet; retry shortly.")
    last_event_id = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    raw = request.environ.get("gunicorn.socket")

    def cut():
        if raw is not None:
            raw.shutdown(socket.SHUT_RDWR)

    # gunicorn streams a body of unknown length in HTTP/1.1 chunks (HTTP/1.0: bare, then close);
    # the hub writes live events to the raw socket in the same framing (realtime/sse.py).
    chunked = request.environ.get("SERVER_PROTOCOL") != "HTTP/1.0"
    body = event_stream(rt, SSE_TOPICS[topic_name], last_event_id, cut, raw_socket=raw if request.method == "GET" else None,
                        chunked=chunked)
    return Response(body, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@bp.get("/sse/product-updates")
def sse_product_updates():
    return sse("product-updates")


@bp.get("/sse/price-changes")
def sse_price_changes():
    return sse("price-changes")


@bp.get("/sse/stock-alerts")
def sse_stock_alerts():
    return sse("stock-alerts")


@bp.get("/sse/promotions")
def sse_promotions():
    return sse("promotions")
