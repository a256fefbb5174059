"""Plain dicts the cart service returns over RPC: each line priced from the products service now.

Nothing about a line is remembered from when it was added: price, currency, stock and whether
it can still be bought are what products says at read time. A line that cannot be bought as it
stands names its problems: variant_not_found, product_inactive, out_of_stock,
insufficient_stock. `subtotal` counts the lines that can still be bought (inactive or vanished
ones are shown, not charged); `checkout_ready` is true when the cart has lines and no problems.
"""
from services.cart.carts import iso_ms


def line_problems(quantity, variant):
    if variant is None:
        return ["variant_not_found"]
    if not variant["sellable"]:
        return ["product_inactive"]
    if variant["inventory_count"] == 0:
        return ["out_of_stock"]
    if quantity > variant["inventory_count"]:
        return ["insufficient_stock"]
    return []


def line(variant_id, quantity, variant):
    problems = line_problems(quantity, variant)
    if variant is None:
        return {"variant_id": variant_id, "product_id": None, "sku": None, "name": None,
                "size": None, "colour": None, "quantity": quantity, "unit_price": None,
                "currency": None, "line_total": None, "available_quantity": 0,
                "in_stock": False, "availability": "unavailable", "is_active": False,
                "problems": problems}
    return {
        "variant_id": variant_id,
        "product_id": variant["product_id"],
        "sku": variant["sku"],
        "name": variant["name"],
        "size": variant["size"],
        "colour": variant["colour"],
        "quantity": quantity,
        "unit_price": variant["price"],
        "currency": variant["currency"],
        "line_total": variant["price"] * quantity if variant["price"] is not None else None,
        "available_quantity": variant["inventory_count"],
        "in_stock": variant["in_stock"],
        "availability": variant["availability"],
        "is_active": variant["sellable"],
        "problems": problems,
    }


def cart(owner, quantities, updated_ms, variants, ttl_s):
    lines = [line(v, quantities[v], variants.get(v)) for v in sorted(quantities)]
    buyable = [l for l in lines if l["is_active"] and l["line_total"] is not None]
    currencies = {l["currency"] for l in buyable}
    single = len(currencies) == 1
    return {
        "cart_id": owner.cart_id,
        "owner": owner.as_dict(),
        "lines": lines,
        "item_count": len(lines),
        "total_quantity": sum(quantities.values()),
        "subtotal": sum(l["line_total"] for l in buyable) if single or not buyable else None,
        "currency": currencies.pop() if single else None,
        "checkout_ready": bool(lines) and not any(l["problems"] for l in lines),
        "updated_at": iso_ms(updated_ms) if updated_ms else None,
        "expires_at": iso_ms(updated_ms + ttl_s * 1000) if updated_ms else None,
    }


def merge_report(guest, report):
    """What a merge did, line by line (the guest cart is gone afterwards)."""
    return {"from": guest.cart_id, "lines": [{"variant_id": v, **report[v]}
                                             for v in sorted(report)]}


def hold(order_ref, owner, priced_cart, ttl_s, expires_ms):
    return {
        "order_ref": order_ref,
        "cart_id": owner.cart_id,
        "ttl_s": ttl_s,
        "expires_at": iso_ms(expires_ms),
        "lines": [{k: l[k] for k in ("variant_id", "product_id", "sku", "quantity",
                                     "unit_price", "currency", "line_total")}
                  for l in priced_cart["lines"]],
        "total_quantity": priced_cart["total_quantity"],
        "subtotal": priced_cart["subtotal"],
        "currency": priced_cart["currency"],
    }
