"""The cart service: shoppers' and guests' carts in Redis, priced live by the products service.

Entry points only; the store is carts.py, the Redis keys keys.py, the Lua steps scripts.py,
the events events.py, the outbox relay relay.py, what callers get back presenters.py.

Atomicity (ARCHITECTURE §3, "a state change and its event commit together"): a cart has no SQL
row, so its outbox is a Redis stream. Each change is ONE Lua script that checks, writes the
cart hash, restarts the idle clock and XADDs the event envelopes to `outbox:cart` (and a line
to `cart:analytics`): all of it happens or none of it. The relay in this process publishes
`outbox:cart` to `cart.events` with publisher confirms and deletes entries once confirmed; the
bridge mirrors them to the `cart_events` stream. A kill -9 right after a change only delays its
events; a crash between publish and delete republishes, which the bridge's seen-marker absorbs.

Owners: {"user_id": int} (a signed-in shopper; every device sees the same cart) or
{"session_id": str} (a guest; the gateway issues the id). Carts expire CART.ttl_s after their
last change. A cart idle for CART.abandon_after_s yields one cart.abandoned per idle period.

Error codes: ValidationFailed validation_failed, insufficient_stock, too_many_lines
(details.fields names the field) · NotFound variant_not_found · Conflict product_inactive,
cart_empty, cart_not_ready, order_ref_taken, cart_busy. A refused change writes nothing.
"""
from functools import cached_property


from kit import service_base
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.redis_client import Redis
from kit.rpc import rpc
from kit.schemas import load
from kit.timers import settings_timer
from services.cart import presenters
from services.cart.carts import NOT_FOUND, NOT_SELLABLE, CartSettings, CartStore, Owner, now_ms
from services.cart.dependencies import ProductsRpc
from services.cart.relay import RedisOutbox
from services.cart.schemas import (AddItemSchema, HoldSchema, MergeSchema, OrderRefSchema,
                                   OwnerArg, RemoveItemSchema, UpdateItemSchema)

MERGE_ATTEMPTS = 5


class CartService(service_base.Service):
    name = "cart"

    redis = Redis()
    outbox = RedisOutbox()
    products_rpc = ProductsRpc()
    settings_class = CartSettings

    @cached_property
    def carts(self):
        return CartStore(self.redis, self.settings, self.outbox)

    # --- reading ----------------------------------------------------------------------------

    @rpc
    def get_cart(self, owner):
        """The cart with every line priced and checked against products now (see presenters)."""
        return self._priced(Owner(**load(OwnerArg(), {"owner": owner})["owner"]))

    # --- changing lines ---------------------------------------------------------------------

    @rpc
    def add_item(self, owner, variant_id, quantity):
        """Add `quantity` (≥ 1) of a variant; the line may not exceed the stock."""
        args = load(AddItemSchema(), {"owner": owner, "variant_id": variant_id,
                                      "quantity": quantity})
        variant = self._variant(args["variant_id"])
        if not variant["sellable"]:
            raise _product_inactive(variant)
        return self._change(Owner(**args["owner"]), args["variant_id"], "add",
                            args["quantity"], variant)

    @rpc
    def update_item(self, owner, variant_id, quantity):
        """Set a line's quantity; 0 removes it. Growing a line is checked like an add; a line
        may always shrink, even if its product was deactivated."""
        args = load(UpdateItemSchema(), {"owner": owner, "variant_id": variant_id,
                                         "quantity": quantity})
        variant = self._variant(args["variant_id"]) if args["quantity"] else None
        return self._change(Owner(**args["owner"]), args["variant_id"], "set",
                            args["quantity"], variant)

    @rpc
    def remove_item(self, owner, variant_id):
        """Drop a line (a line that is not there is already removed: no error, no event)."""
        args = load(RemoveItemSchema(), {"owner": owner, "variant_id": variant_id})
        return self._change(Owner(**args["owner"]), args["variant_id"], "set", 0, None)

    @rpc
    def clear_cart(self, owner, order_ref=None):
        """Empty the cart (after checkout, or by the shopper). With `order_ref` (a placed
        order) that checkout's hold goes too, as release_hold would: one call, not two."""
        owner = Owner(**load(OwnerArg(), {"owner": owner})["owner"])
        if order_ref is not None:
            order_ref = load(OrderRefSchema(), {"order_ref": order_ref})["order_ref"]
        if self.carts.clear(owner):
            self.outbox.wake()
        if order_ref is not None:
            self.carts.release_hold(order_ref)
        return self._priced(owner)

    # --- login ------------------------------------------------------------------------------

    @rpc
    def merge_carts(self, session_id, user_id):
        """At login: fold the guest cart into the user's. Quantities add, capped by stock;
        lines of inactive or unknown variants are dropped; the guest cart is deleted. A second
        call finds no guest cart and changes nothing. Returns the user's cart plus `merge`."""
        args = load(MergeSchema(), {"session_id": session_id, "user_id": user_id})
        guest, user = Owner(session_id=args["session_id"]), Owner(user_id=args["user_id"])
        variants = {}
        for _ in range(MERGE_ATTEMPTS):
            ids = self.carts.variant_ids(guest.key)
            variants = self.products_rpc.variants(ids) if ids else {}
            stock = {v: (NOT_FOUND if v not in variants else
                         variants[v]["inventory_count"] if variants[v]["sellable"] else
                         NOT_SELLABLE) for v in ids}
            report = self.carts.merge(guest, user, stock)
            if report is not None:
                break
        else:
            raise Conflict("cart_busy", "The guest cart kept changing during the merge; "
                                        "try again.", {"session_cart": guest.cart_id})
        if report:
            self.outbox.wake()
        return {**self._priced(user, known=variants),
                "merge": presenters.merge_report(guest, report)}

    # --- checkout ---------------------------------------------------------------------------

    @rpc
    def hold_for_checkout(self, owner, order_ref, ttl_s=None):
        """Checkout starts: check every line, then set `inventory:lock:{variant_id}:{order_ref}`
        = quantity for each, expiring after ttl_s (default CART.hold_ttl_s). Calling again with
        the same order_ref refreshes the hold. The locks are ADVISORY: they tell other parts (and
        ops) that a checkout is under way, nothing is taken from stock; products' reserve_stock
        is the only truth. Returns the priced lines, a snapshot for the order."""
        args = load(HoldSchema(), {"owner": owner, "order_ref": order_ref, "ttl_s": ttl_s})
        owner, ttl = Owner(**args["owner"]), args["ttl_s"] or self.settings.hold_ttl_s
        priced = self._priced(owner)
        if not priced["lines"]:
            raise Conflict("cart_empty", "The cart is empty.", {"cart_id": owner.cart_id})
        blocked = [{"variant_id": l["variant_id"], "problems": l["problems"]}
                   for l in priced["lines"] if l["problems"]]
        if blocked:
            raise Conflict("cart_not_ready", "Some lines cannot be bought as they stand.",
                           {"lines": blocked})
        holder = self.carts.hold(owner, args["order_ref"],
                                 {l["variant_id"]: l["quantity"] for l in priced["lines"]}, ttl)
        if holder is not None:
            raise Conflict("order_ref_taken", "That order_ref holds another cart.",
                           {"order_ref": args["order_ref"]})
        return presenters.hold(args["order_ref"], owner, priced, ttl, now_ms() + ttl * 1000)

    @rpc
    def release_hold(self, order_ref):
        """Drop a checkout's advisory locks (order placed or abandoned); idempotent."""
        args = load(OrderRefSchema(), {"order_ref": order_ref})
        return {"order_ref": args["order_ref"],
                "released_lines": self.carts.release_hold(args["order_ref"])}

    # --- abandonment ------------------------------------------------------------------------

    @settings_timer(CartSettings, "abandon_scan_interval_s")
    def report_abandoned_carts(self):
        """Every replica scans; the Lua compare-and-remove lets exactly one report each cart."""
        if self.carts.report_all_abandoned():
            self.outbox.wake()

    # --- helpers ----------------------------------------------------------------------------

    def _variant(self, variant_id):
        variant = self.products_rpc.variants([variant_id]).get(variant_id)
        if variant is None:
            raise NotFound("variant_not_found", f"Variant {variant_id} does not exist.",
                           {"variant_id": variant_id})
        return variant

    def _change(self, owner, variant_id, mode, quantity, variant):
        status, before, _ = self.carts.change_line(owner, variant_id, mode, quantity, variant)
        if status == "ok":
            self.outbox.wake()
        elif status == "insufficient_stock":
            available = variant["inventory_count"]
            message = (f"Only {available} available" +
                       (f"; the cart already holds {before}." if before else "."))
            raise ValidationFailed("insufficient_stock", message, {
                "fields": {"quantity": [message]}, "variant_id": variant_id,
                "available": available, "in_cart": before})
        elif status == "product_inactive":
            raise _product_inactive(variant or {"variant_id": variant_id})
        elif status == "too_many_lines":
            message = f"A cart holds at most {self.settings.max_lines} different items."
            raise ValidationFailed("too_many_lines", message, {
                "fields": {"variant_id": [message]}, "max_lines": self.settings.max_lines})
        return self._priced(owner, known={variant_id: variant} if variant else None)

    def _priced(self, owner, known=None):
        quantities, updated_ms = self.carts.lines(owner.key)
        variants = {v: known[v] for v in quantities if known and v in known}
        missing = [v for v in quantities if v not in variants]
        if missing:
            variants.update(self.products_rpc.variants(missing))
        return presenters.cart(owner, quantities, updated_ms, variants, self.settings.ttl_s)


def _product_inactive(variant):
    return Conflict("product_inactive", "This item is no longer sold.",
                    {"variant_id": variant["variant_id"],
                     "product_id": variant.get("product_id")})
