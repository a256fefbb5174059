"""The OpenAPI description of the real-time routes, merged into /api/openapi.json by
gateway/openapi.py. OpenAPI 3.0 has no words for a WebSocket, so each /ws/ route is described
as the GET that upgrades (101), with its message protocol under `x-websocket`."""

ENTRY_ID = {"type": "string", "pattern": r"^\d+-\d+$", "example": "1764000000000-0"}

LAST_EVENT_ID_HEADER = {
    "name": "Last-Event-ID", "in": "header", "required": False, "schema": ENTRY_ID,
    "description": "The `id:` of the last event received (browsers send it when they "
                   "reconnect): everything after it that the stream still holds comes first, "
                   "in order, then live events. Unknown or too old: `event: reset` first."}
LAST_EVENT_ID_QUERY = {**LAST_EVENT_ID_HEADER, "name": "last_event_id", "in": "query",
                       "description": "The same as the Last-Event-ID header, for clients that "
                                      "cannot set headers."}
ACCESS_TOKEN_QUERY = {
    "name": "access_token", "in": "query", "required": False, "schema": {"type": "string"},
    "description": "The access token. Without it, the first message must be "
                   "`{\"action\": \"auth\", \"token\": \"...\"}` within 5 seconds."}

SECURITY_SCHEMES = {"accessTokenQuery": {
    "type": "apiKey", "in": "query", "name": "access_token",
    "description": "A WebSocket's access token: ?access_token= or the first message "
                   "{\"action\": \"auth\", \"token\"}; browsers cannot set headers on a "
                   "WebSocket."}}

SSE_EXAMPLE = ("retry: 3000\n\nid: 1764000000000-0\nevent: ready\n"
               "data: {\"topic\":\"stock-alerts\",\"resumed\":false}\n\n"
               "id: 1764000000123-0\nevent: product.inventory.updated\n"
               "data: {\"type\":\"product.inventory.updated\",\"id\":\"1764000000123-0\","
               "\"event_id\":\"…\",\"occurred_at\":\"…\",\"data\":{\"product_id\":42,"
               "\"status\":\"low_stock\",\"new\":3}}\n\n: ping\n\n")

EVENT_MESSAGE = ("Events arrive as {\"type\": <event type>, \"id\": <stream entry id>, "
                 "\"event_id\", \"occurred_at\", \"data\"}; replies and control messages have a "
                 "plain word as type (ready, error, ...); errors are {\"type\": \"error\", "
                 "\"code\", \"message\", \"details\"?, \"ref\"?}, and a message's `ref` comes "
                 "back in its reply.")

CLOSE_CODES = {
    "1001": "going_away: the gateway is stopping; reconnect",
    "1008": "missing/bad/expired token before ready (invalid_token, auth_timeout, "
            "auth_required, session_revoked, forbidden); later token_expired, session_revoked",
    "1009": "a message larger than 64 KiB",
    "1011": "internal_error, upstream_unavailable",
    "1013": "slow_consumer: the client did not keep up; reconnect",
}


def _error(status):
    return {"$ref": f"#/components/responses/Error{status}"}


def _operation_id(summary):
    words = "".join(c if c.isalnum() else " " for c in summary).split()
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


# One event of the stream, as a client's EventSource parses it (`data` is JSON text).
SSE_EVENT = {"type": "object", "properties": {
    "id": {"type": "string"}, "event": {"type": "string"}, "data": {"type": "string"},
    "retry": {"type": "integer"}}}


def sse(summary, what):
    return {"get": {
        "summary": summary, "tags": ["realtime"], "operationId": _operation_id(summary),
        "description": f"Server-sent events, public: {what}. Each event has `id:` (its "
                       "stream entry id), `event:` (its type) and one `data:` line of JSON. "
                       "`event: ready` opens the feed; `: ping` comments come every 20 s; a "
                       "client too slow to keep up is disconnected and resumes with "
                       "Last-Event-ID.",
        "security": [],
        "parameters": [LAST_EVENT_ID_HEADER, LAST_EVENT_ID_QUERY],
        "responses": {
            "200": {"description": "An endless text/event-stream.",
                    "content": {"text/event-stream": {"schema": SSE_EVENT,
                                                      "example": SSE_EXAMPLE}}},
            "414": _error("414"), "429": _error("429"), "500": _error("500"),
            "503": _error("503"),
        },
    }}


def websocket(summary, what, client_messages, server_messages, staff_only=False):
    return {"get": {
        "summary": summary, "tags": ["realtime"], "operationId": _operation_id(summary),
        "description": f"WebSocket{' (staff: support, admin)' if staff_only else ''}: {what} "
                       + EVENT_MESSAGE,
        "security": [{"accessTokenQuery": []}],
        "parameters": [ACCESS_TOKEN_QUERY],
        "responses": {
            "101": {"description": "Switching Protocols: the socket is open; the first message "
                                   "after authentication is {\"type\": \"ready\", \"channel\", "
                                   "\"user_id\", \"role\", \"connection_id\"}. A bad token "
                                   "closes it with 1008 before anything is sent."},
            "400": _error("400"), "414": _error("414"), "429": _error("429"),
            "500": _error("500"),
        },
        "x-websocket": {"client_messages": client_messages, "server_messages": server_messages,
                        "close_codes": CLOSE_CODES},
    }}


COMMON_ACTIONS = {
    "auth": "{\"action\": \"auth\", \"token\"}: the first message without ?access_token=, or "
            "later a fresh token for the same user to outlive the old one's expiry → "
            "{\"type\": \"authenticated\", \"user_id\", \"expires_at\"}",
    "ping": "{\"action\": \"ping\"} → {\"type\": \"pong\"}",
}

PATHS = {
    "/sse/product-updates": sse("Product updates feed",
                                "every product.* event (created, updated, "
                                "inventory.updated, reviewed) but product.viewed"),
    "/sse/price-changes": sse("Price changes feed", "product.updated events that change a price"),
    "/sse/stock-alerts": sse("Stock alerts feed", "product.inventory.updated with status "
                                                  "low_stock, out_of_stock or back_in_stock"),
    "/sse/promotions": sse("Promotions feed", "promotion.started, promotion.updated, "
                                              "promotion.ended"),
    "/ws/notifications": websocket(
        "Live notifications socket", "the caller's in-app notifications as they are written "
        "(notification.in_app) and read elsewhere (notification.read).",
        {**COMMON_ACTIONS, "mark_read": "{\"action\": \"mark_read\", \"ids\": [int]} → "
                                        "{\"type\": \"marked_read\", \"marked\", \"unread\"}"},
        ["notification.in_app", "notification.read"]),
    "/ws/orders": websocket(
        "Live orders socket", "status, payment and tracking events of the caller's own orders "
        "(order_events, payment_events).",
        {**COMMON_ACTIONS,
         "watch_all": "staff: {\"action\": \"watch_all\"} → every shopper's order events; "
                      "{\"type\": \"watching\", \"scope\": \"all\"}",
         "unwatch_all": "{\"action\": \"unwatch_all\"} → {\"type\": \"watching\", "
                        "\"scope\": \"own\"}"},
        ["order.*", "payment.*", "refund.*"]),
    "/ws/inventory": websocket(
        "Live stock socket", "product.inventory.updated of the products subscribed to (at "
        "most 200 per socket).",
        {**COMMON_ACTIONS,
         "subscribe": "{\"action\": \"subscribe\", \"product_ids\": [int]} → "
                      "{\"type\": \"subscribed\", \"product_ids\"}",
         "unsubscribe": "{\"action\": \"unsubscribe\", \"product_ids\": [int]} → the same"},
        ["product.inventory.updated"]),
    "/ws/analytics": websocket(
        "Live analytics socket", "events per type and orders per minute over the last five "
        "minutes, counted by the gateway from the streams, and the analytics service's live "
        "figures from Redis: {\"type\": \"analytics\", \"minutes\": [{\"minute\", "
        "\"orders\", \"events\", \"by_type\"}], \"live\": {\"sales_today\", "
        "\"orders_today\", \"avg_order_value_today\", \"sales_this_minute\", "
        "\"orders_this_minute\", \"live_visitors\", \"online_users\", …}} on connect and "
        "every second something changed.",
        {**COMMON_ACTIONS, "snapshot": "{\"action\": \"snapshot\"} → the counts now"},
        ["analytics"], staff_only=True),
    "/ws/chat": websocket(
        "Support chat socket", "the caller's support conversations live: chat.message, "
        "chat.conversation_opened, chat.assigned, chat.conversation_closed (staff also hear "
        "every conversation opened, assigned or closed); typing and read signals.",
        {**COMMON_ACTIONS,
         "open": "shopper: {\"action\": \"open\"} → {\"type\": \"conversation\", "
                 "\"conversation\"} (the open one, or a new one)",
         "join": "staff: {\"action\": \"join\", \"conversation_id\"} → take it; the same reply",
         "send": "{\"action\": \"send\", \"conversation_id\", \"body\"} → {\"type\": \"sent\", "
                 "\"message\"}",
         "history": "{\"action\": \"history\", \"conversation_id\", \"before_id\"?, "
                    "\"limit\"?} → {\"type\": \"history\", \"messages\"} (newest first)",
         "typing": "{\"action\": \"typing\", \"conversation_id\"} → the others get "
                   "{\"type\": \"typing\", \"conversation_id\", \"user_id\"}",
         "read": "{\"action\": \"read\", \"conversation_id\", \"message_id\"} → everyone in "
                 "the conversation gets {\"type\": \"read\", ...}"},
        ["chat.message", "chat.conversation_opened", "chat.assigned",
         "chat.conversation_closed", "typing", "read"]),
}
