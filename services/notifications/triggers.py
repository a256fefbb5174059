"""Which events notify whom, with which template and what it is told.

Each trigger turns one stream event into Notices. What we read from each event's `data`:

user.created               {user_id, email, full_name}                      -> welcome
order.created              {order_id, user_id, order_number?, total_amount|total?, currency?,
                            item_count?|items?}                             -> order_confirmation
order.shipped              {order_id, user_id, order_number?, carrier?, tracking_number?}
order.status.updated       the same with status|new_status == "shipped"     -> order_shipped
payment.failed             {payment_id?, order_id, user_id, amount?, currency?,
                            reason|failure_reason?}                         -> payment_failed
product.inventory.updated  {product_id, variant_id, sku?, new, status == "back_in_stock",
                            product_name?}                 -> back_in_stock to who asked

An event without the user it concerns notifies nobody (retrying could not help).
order_shipped goes out once per order even if both order.shipped and a "shipped" status update
arrive (`once`).
"""
import collections
import logging
from decimal import Decimal

from services.notifications import stock_alerts

log = logging.getLogger(__name__)

# user_id, template key, template context, `data` kept on the in-app message, and an optional
# fact key that makes the notice go out at most once across events.
Notice = collections.namedtuple("Notice", "user_id template context data once",
                                defaults=(None,))

CURRENCY_SYMBOL = {"INR": "₹", "USD": "$", "EUR": "€", "GBP": "£"}
CURRENCY_EXPONENT = {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}


def money(minor_units, currency="INR"):
    """2999900, 'INR' -> '₹29,999.00' (amounts travel as integer minor units)."""
    if minor_units is None:
        return None
    currency = (currency or "INR").upper()
    exponent = CURRENCY_EXPONENT.get(currency, 2)
    amount = Decimal(int(minor_units)).scaleb(-exponent)
    text = f"{amount:,.{exponent}f}"
    symbol = CURRENCY_SYMBOL.get(currency)
    return f"{symbol}{text}" if symbol else f"{currency} {text}"


def _order(data, settings):
    order_id = data.get("order_id")
    total = data.get("total_amount", data.get("total"))
    return {
        "order_id": order_id,
        "order_number": data.get("order_number") or f"#{order_id}",
        "order_url": f"{settings['shop_url']}/orders/{order_id}",
        "total": money(total, data.get("currency")) if isinstance(total, int) else None,
    }


def _product(data, settings):
    sku = data.get("sku")
    name = data.get("product_name") or data.get("name")
    return {
        "product_name": name or sku or "your saved item",
        "sku": sku if name else None,
        "quantity": data.get("new"),
        "product_url": f"{settings['shop_url']}/products/{data.get('product_id')}",
    }


def welcome(session, event, settings):
    return [Notice(event["data"]["user_id"], "welcome", {}, {"url": settings["shop_url"]})]


def order_confirmation(session, event, settings):
    data = event["data"]
    context = _order(data, settings)
    context["item_count"] = data.get("item_count") or len(data.get("items") or []) or None
    return [Notice(data["user_id"], "order_confirmation", context,
                   {"order_id": context["order_id"], "url": context["order_url"]})]


def _new_status(data):
    return data.get("status") or data.get("new_status")


def order_shipped(session, event, settings):
    data = event["data"]
    context = _order(data, settings)
    context.update(carrier=data.get("carrier"), tracking_number=data.get("tracking_number"))
    return [Notice(data["user_id"], "order_shipped", context,
                   {"order_id": context["order_id"], "url": context["order_url"],
                    "tracking_number": context["tracking_number"]},
                   once=f"order_shipped:order:{context['order_id']}")]


def payment_failed(session, event, settings):
    data = event["data"]
    context = _order(data, settings)
    context.update(amount=money(data["amount"], data.get("currency"))
                   if isinstance(data.get("amount"), int) else None,
                   reason=data.get("reason") or data.get("failure_reason"))
    return [Notice(data["user_id"], "payment_failed", context,
                   {"order_id": context["order_id"], "payment_id": data.get("payment_id"),
                    "url": context["order_url"]})]


def back_in_stock(session, event, settings):
    data = event["data"]
    if data.get("variant_id") is None:
        return []
    context = _product(data, settings)
    waiting = stock_alerts.close_waiting(session, data["variant_id"], event["id"])
    return [Notice(sub.user_id, "back_in_stock", context,
                   {"product_id": sub.product_id, "variant_id": sub.variant_id,
                    "url": context["product_url"]})
            for sub in waiting]


TRIGGERS = {
    "user.created": welcome,
    "order.created": order_confirmation,
    "order.shipped": order_shipped,
    "order.status.updated": order_shipped,
    "payment.failed": payment_failed,
    "product.inventory.updated": back_in_stock,
}
# Events that change who we write to, without notifying anyone themselves.
PROJECTED = ("user.created", "user.updated")


def concerns_us(event):
    """Cheap filter before any database work: most stream traffic is not for us."""
    kind, data = event["type"], event["data"]
    if kind == "product.inventory.updated":
        return data.get("status") == "back_in_stock"
    if kind == "order.status.updated":
        return _new_status(data) == "shipped"
    return kind in TRIGGERS or kind in PROJECTED


def notices_for(session, event, settings):
    trigger = TRIGGERS.get(event["type"])
    if trigger is None:
        return []
    try:
        return trigger(session, event, settings)
    except KeyError as exc:
        log.warning("%s %s lacks %s; nobody notified", event["type"], event["id"], exc)
        return []
