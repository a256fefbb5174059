"""OpenAPI part of notifications, chat and promotions (gateway/routes/notifications.py,
promotions.py)."""
from gateway.apidoc.catalog import PRODUCT_ID, VARIANT_ID
from services.notifications import schemas as notifications
from gateway.openapi import (also_ok_200, BEFORE_ID, CURRENCY, DATETIME, _id_param, MONEY,
                             operation, optional_auth, _query, ref)

CONVERSATION_ID, PROMOTION_ID = _id_param("conversation_id"), _id_param("promotion_id")
CHAT_PAGE_LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                   "default": 50})
INBOX_LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20})
PROMOTION_FIELDS = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": {"type": "string", "maxLength": 5000, "nullable": True},
    "code": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$", "nullable": True,
             "description": "Stored upper-case; unique among promotions not yet over."},
    "discount_percent": {"type": "integer", "minimum": 1, "maximum": 90, "nullable": True},
    "discount_amount": {**MONEY, "minimum": 1, "nullable": True,
                        "description": "Minor units off; needs `currency`."},
    "currency": {**CURRENCY, "nullable": True},
    "starts_at": DATETIME,
    "ends_at": {**DATETIME, "description": "After starts_at, and in the future."},
    "product_ids": {"type": "array", "items": {"type": "integer", "minimum": 1},
                    "nullable": True},
    "category": {"type": "string", "description": "A category slug.", "nullable": True},
}

SCHEMAS = {
    "Notification": notifications.NotificationOut,
    "NotificationPage": notifications.NotificationPageOut,
    "UnreadCount": notifications.UnreadCountOut,
    "MarkReadRequest": {"type": "object", "required": ["ids"], "properties": {
        "ids": {"type": "array", "minItems": 1, "maxItems": 500,
                "items": {"type": "integer", "minimum": 1}}}},
    "MarkedRead": notifications.MarkedReadOut,
    "Preferences": notifications.PreferencesOut,
    "PreferencesChanges": {
        "type": "object", "minProperties": 1, "additionalProperties": False,
        "description": "Only what changes, e.g. {\"email\": {\"promotions\": true}}.",
        "properties": {channel: {"type": "object", "additionalProperties": False,
                                 "properties": {category: {"type": "boolean"} for category in
                                                ("account", "orders", "payments",
                                                 "stock_alerts", "promotions")}}
                       for channel in ("email", "sms", "push", "in_app")}},
    "BackInStockRequest": notifications.BackInStockOut,
    "BackInStockCancelled": notifications.BackInStockCancelledOut,
    "Conversation": notifications.ConversationOut,
    "ConversationList": notifications.ConversationListOut,
    "ChatMessage": notifications.ChatMessageOut,
    "ChatMessagePage": notifications.ChatMessagePageOut,
    "ChatMessageRequest": notifications.ChatPostSchema(only=["body"]),
    "Promotion": notifications.PromotionOut,
    "PromotionList": notifications.PromotionListOut,
    "PromotionRequest": notifications.PromotionSchema,
    "PromotionChanges": notifications.PromotionChangesSchema,
}

PATHS = {
    "/api/notifications": {"get": operation(
        "My notifications", "notifications", "200", ref("NotificationPage"), "422",
        params=[_query("unread_only", {"type": "boolean", "default": False}), INBOX_LIMIT,
                BEFORE_ID])},
    "/api/notifications/unread-count": {"get": operation(
        "My unread notification count", "notifications", "200", ref("UnreadCount"))},
    "/api/notifications/read": {"post": operation(
        "Mark notifications read", "notifications", "200", ref("MarkedRead"), "404",
        body="MarkReadRequest")},
    "/api/notifications/read-all": {"post": operation(
        "Mark all my notifications read", "notifications", "200", ref("MarkedRead"))},
    "/api/notifications/preferences": {
        "get": operation("My notification preferences", "notifications", "200",
                         ref("Preferences")),
        "patch": operation("Change my notification preferences", "notifications", "200",
                           ref("Preferences"), body="PreferencesChanges"),
    },
    "/api/products/{product_id}/variants/{variant_id}/back-in-stock": {
        "post": also_ok_200(operation("Tell me when a variant is back in stock", "notifications", "201",
                          ref("BackInStockRequest"), "404",
                          params=[PRODUCT_ID, VARIANT_ID],
                          ok_description="Asked (200 with created false if already asked)")),
        "delete": operation("Stop waiting for a variant", "notifications", "200",
                            ref("BackInStockCancelled"), "404", params=[PRODUCT_ID, VARIANT_ID]),
    },
    "/api/chat/conversations": {
        "get": operation("My support conversations", "chat", "200", ref("ConversationList"),
                         ok_description="A shopper's conversations; staff: theirs and every "
                                        "one waiting for an agent"),
        "post": operation("Open a support conversation", "chat", "200", ref("Conversation"),
                          ok_description="The caller's open conversation (new, or the one "
                                         "already open)"),
    },
    "/api/chat/conversations/{conversation_id}/messages": {
        "get": operation("A conversation's messages", "chat", "200", ref("ChatMessagePage"),
                         "404", "422", params=[CONVERSATION_ID, CHAT_PAGE_LIMIT, BEFORE_ID],
                         ok_description="Newest first"),
        "post": operation("Write in a conversation", "chat", "201", ref("ChatMessage"), "404",
                          "409", body="ChatMessageRequest", params=[CONVERSATION_ID],
                          ok_description="Created"),
    },
    "/api/chat/conversations/{conversation_id}/assign": {"post": operation(
        "Take a waiting conversation", "chat", "200", ref("Conversation"), "403", "404", "409",
        params=[CONVERSATION_ID])},
    "/api/chat/conversations/{conversation_id}/close": {"post": operation(
        "Close a conversation", "chat", "200", ref("Conversation"), "404",
        params=[CONVERSATION_ID])},
    "/api/promotions": {
        "get": optional_auth(operation(
            "Live promotions", "promotions", "200", ref("PromotionList"), "403", "422",
            params=[_query("status", {"type": "string",
                                      "enum": ["scheduled", "live", "ended", "all"]},
                           "Staff only: every promotion with this status instead, newest "
                           "first, paged by before_id."), BEFORE_ID,
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                     "default": 50})])),
        "post": operation("Create a promotion", "promotions", "201", ref("Promotion"), "403",
                          "409", body="PromotionRequest", ok_description="Created"),
    },
    "/api/promotions/{promotion_id}": {"patch": operation(
        "Change a promotion", "promotions", "200", ref("Promotion"), "403", "404", "409",
        body="PromotionChanges", params=[PROMOTION_ID])},
    "/api/promotions/{promotion_id}/end": {"post": operation(
        "End a promotion now", "promotions", "200", ref("Promotion"), "403", "404",
        params=[PROMOTION_ID])},
}
