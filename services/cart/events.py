"""Every event the cart service emits, and the part of its data known before the change.

The rest of each payload (marked "from Lua" below) is computed inside the Lua step that makes
the change, so it always describes the cart exactly as that step left it. Carts are named by
`cart_id`: "user:<id>" for a signed-in shopper, "guest:<16 hex>" for a guest; the guest's raw
session id is a bearer secret (it is the cookie), so events carry only a hash of it.

cart.item_added    cart_id, user_id, variant_id, product_id, sku, unit_price, currency;
                   from Lua: quantity (added), line_quantity (the line after)
cart.item_removed  cart_id, user_id, variant_id; from Lua: quantity (removed), line_quantity
cart.updated       cart_id, user_id (+ merged_from on a merge); from Lua: reason
                   (item_added | item_removed | cleared | merged), lines {variant_id: qty},
                   item_count, total_quantity (+ merged {variant_id: report} on a merge,
                   cleared_lines on a clear)
cart.abandoned     cart_id, user_id, last_touched_at, idle_s;
                   from Lua: lines, item_count, total_quantity
"""
ITEM_ADDED = "cart.item_added"
ITEM_REMOVED = "cart.item_removed"
CART_UPDATED = "cart.updated"
CART_ABANDONED = "cart.abandoned"


def owner_data(owner):
    return {"cart_id": owner.cart_id, "user_id": owner.user_id}


def item_added(owner, variant):
    return {**owner_data(owner), "variant_id": variant["variant_id"],
            "product_id": variant["product_id"], "sku": variant["sku"],
            "unit_price": variant["price"], "currency": variant["currency"]}


def item_removed(owner, variant_id):
    return {**owner_data(owner), "variant_id": variant_id}


def cart_updated(owner, **extra):
    return {**owner_data(owner), **extra}


def cart_abandoned(owner, last_touched_at, idle_s):
    return {**owner_data(owner), "last_touched_at": last_touched_at, "idle_s": idle_s}
