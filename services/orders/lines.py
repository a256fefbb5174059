"""A checkout's lines and their stock (docs/checkout-saga.md steps 3-4): the cart's hold or
staff's items, reserved and priced by products in one call, or refused as products would."""
from kit.errors import Conflict, NotFound

# A cart line's problems, in the words products uses for out_of_stock lines.
CART_PROBLEMS = {"out_of_stock": "insufficient_stock", "insufficient_stock": "insufficient_stock",
                 "product_inactive": "unavailable", "variant_not_found": "unavailable"}


def out_of_stock(lines):
    return Conflict("out_of_stock", "Not enough stock for some lines.", {"lines": lines})


class LinesAndStock:
    """Checkout's steps 3-4; `cart` and `products` are dependencies.ServiceRpc proxies."""

    def _cart_lines(self, user_id, order_ref):
        try:
            hold = self.cart.hold_for_checkout({"user_id": user_id}, order_ref)
        except Conflict as exc:
            if exc.code != "cart_not_ready":
                raise  # cart_empty (409), order_ref_taken
            raise self._cart_shortfall(user_id, exc.details.get("lines") or [])
        return [{"variant_id": line["variant_id"], "quantity": line["quantity"]}
                for line in hold["lines"]]

    def _cart_shortfall(self, user_id, blocked):
        """The cart says some lines cannot be bought: say so as products would (out_of_stock,
        each line with requested, available and why)."""
        cart = {line["variant_id"]: line for line in
                self.cart.get_cart({"user_id": user_id})["lines"]}
        lines = []
        for entry in blocked:
            line = cart.get(entry["variant_id"], {})
            problem = next((p for p in entry.get("problems") or [] if p in CART_PROBLEMS),
                           "out_of_stock")
            lines.append({"variant_id": entry["variant_id"], "requested": line.get("quantity"),
                          "available": line.get("available_quantity", 0),
                          "reason": CART_PROBLEMS[problem]})
        return out_of_stock(lines)

    def _priced(self, order_ref, wanted, reservation):
        """Each line with the price, SKU and name products read while reserving it (never
        the caller's). Lines in more than one currency cannot be paid together: the stock
        goes back."""
        variants = {v["variant_id"]: v for v in reservation["lines"]}
        currencies = {variants[line["variant_id"]]["currency"] for line in wanted}
        if len(currencies) > 1:
            self.products.release_stock(order_ref)
            raise Conflict("mixed_currencies", "Lines priced in different currencies cannot be "
                           "paid together.", {"currencies": sorted(currencies)})
        return [{**line, "variant": variants[line["variant_id"]]} for line in wanted]

    def _reserve(self, order_ref, wanted):
        """products.reserve_stock: every line held, and priced, in one call."""
        items = [{"variant_id": line["variant_id"], "quantity": line["quantity"]}
                 for line in wanted]
        try:
            reservation = self.products.reserve_stock(order_ref, items)
        except NotFound as exc:
            gone = set((exc.details or {}).get("variant_ids") or
                       [line["variant_id"] for line in wanted])
            raise out_of_stock([{"variant_id": line["variant_id"], "requested": line["quantity"],
                                 "available": 0, "reason": "unavailable"}
                                for line in wanted if line["variant_id"] in gone])
        except Conflict as exc:
            if exc.code != "reservation_mismatch":
                raise  # out_of_stock names its lines
            # A retry of an attempt that died after reserving, with a cart that changed since.
            self.products.release_stock(order_ref)
            raise Conflict("cart_changed", "The cart changed since this checkout was first "
                           "tried; check out again with a new Idempotency-Key.",
                           {"order_ref": order_ref})
        if reservation["status"] != "reserved":
            raise Conflict("checkout_expired", "This checkout was abandoned and its stock "
                           "released; check out again with a new Idempotency-Key.",
                           {"order_ref": order_ref})
        return reservation
