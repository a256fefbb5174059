"""Carts in Redis: the store (CartStore) that changes a cart together with its events, and reads.

The keys are named in keys.py and the Lua steps are in scripts.py.

Every change is one Lua script: it checks (stock, sellable, line limit), writes the cart,
restarts the idle clock, and XADDs the events to `outbox:cart` and the line to
`cart:analytics`. Redis runs a script alone, so two devices adding at once are serialised (no
lost update), and the change and its events exist together or not at all (AOF on). A check
that fails returns before any write: a refused change writes nothing.
"""
import json
from dataclasses import dataclass

from kit.config import settings_from_section
from services.cart import events
# NOT_FOUND, NOT_SELLABLE, Owner and now_ms are not used here: service.py imports them from carts.
# The cart's idle clock is self.outbox.now_ms(): the business clock, which a demo may shift.
from services.cart.keys import (ANALYTICS, NOT_FOUND, NOT_SELLABLE, OUTBOX,  # noqa: F401
                                TOUCHED, Owner, hold_key, iso_ms, lock_key, now_ms,  # noqa: F401
                                owner_of_key)
from services.cart.scripts import ABANDON, CHANGE_LINE, CLEAR, MERGE


@dataclass(frozen=True)
class CartSettings:
    ttl_s: int = 30 * 24 * 3600
    abandon_after_s: float = 3600.0
    abandon_scan_interval_s: float = 60.0
    abandon_scan_batch: int = 500
    hold_ttl_s: int = 900
    max_lines: int = 100
    analytics_maxlen: int = 100_000

    @classmethod
    def from_config(cls, config):
        return settings_from_section(cls, config, "CART")


# --- the store --------------------------------------------------------------------------------

class CartStore:
    """A worker's view of the carts. `outbox` builds envelopes (relay.OutboxWriter)."""

    def __init__(self, client, settings, outbox):
        self.client = client
        self.settings = settings
        self.outbox = outbox
        self._change_line = client.register_script(CHANGE_LINE)
        self._clear = client.register_script(CLEAR)
        self._merge = client.register_script(MERGE)
        self._abandon = client.register_script(ABANDON)

    # reads

    def lines(self, key):
        """({variant_id: quantity}, updated_at ms or None) of one cart."""
        raw = self.client.hgetall(key)
        updated = raw.pop("_updated_at", None)
        return ({int(v): int(q) for v, q in raw.items() if not v.startswith("_")},
                int(updated) if updated else None)

    def variant_ids(self, key):
        return sorted(int(f) for f in self.client.hkeys(key) if not f.startswith("_"))

    # changes

    def change_line(self, owner, variant_id, mode, quantity, variant=None):
        """Add to (mode "add") or set (mode "set") one line. `variant` is the products view of
        it (needed when the line may grow). Returns (status, before, after)."""
        sellable = bool(variant and variant["sellable"])
        available = variant["inventory_count"] if variant else 0
        # Without the products view the line can only shrink: no item_added can be staged.
        added = (self.outbox.envelope(events.ITEM_ADDED, events.item_added(owner, variant))
                 if variant else "")
        removed = self.outbox.envelope(events.ITEM_REMOVED,
                                       events.item_removed(owner, variant_id))
        updated = self.outbox.envelope(events.CART_UPDATED, events.cart_updated(owner))
        status, before, after = self._change_line(
            keys=[owner.key, TOUCHED, OUTBOX, ANALYTICS],
            args=[variant_id, mode, quantity, available, int(sellable), self.outbox.now_ms(),
                  self.settings.ttl_s, self.settings.max_lines, self.settings.analytics_maxlen,
                  owner.cart_id, owner.user_id or "", added, removed, updated])
        return status, int(before), int(after)

    def clear(self, owner):
        """Empty a cart; returns how many lines it had."""
        updated = self.outbox.envelope(events.CART_UPDATED, events.cart_updated(owner))
        return int(self._clear(keys=[owner.key, TOUCHED, OUTBOX, ANALYTICS],
                               args=[self.outbox.now_ms(), self.settings.analytics_maxlen,
                                     owner.cart_id, owner.user_id or "", updated]))

    def merge(self, guest, user, stock):
        """Fold the guest cart into the user's. `stock` maps each guest variant id to what may be
        held (or NOT_SELLABLE / NOT_FOUND). Returns the per-line report, {} if there was no
        guest cart, or None if the guest cart changed since `stock` was computed (retry)."""
        updated = self.outbox.envelope(events.CART_UPDATED,
                                       events.cart_updated(user, merged_from=guest.cart_id))
        reply = self._merge(
            keys=[guest.key, user.key, TOUCHED, OUTBOX, ANALYTICS],
            args=[self.outbox.now_ms(), self.settings.ttl_s, self.settings.max_lines,
                  self.settings.analytics_maxlen, user.cart_id, user.user_id,
                  json.dumps({str(v): n for v, n in stock.items()}), updated])
        if reply[0] == "retry":
            return None
        if reply[0] == "nothing":
            return {}
        return {int(v): entry for v, entry in json.loads(reply[1]).items()}

    # abandonment

    def idle_carts(self, cutoff_ms, limit):
        """[(cart key, last touched ms)] idle since before cutoff, oldest first."""
        return self.client.zrangebyscore(TOUCHED, "-inf", cutoff_ms, start=0, num=limit,
                                         withscores=True, score_cast_func=int)

    def report_abandoned(self, key, touched_ms, now):
        """Emit cart.abandoned for this idle period unless the cart moved on; True if emitted."""
        owner = owner_of_key(key)
        envelope = self.outbox.envelope(events.CART_ABANDONED, events.cart_abandoned(
            owner, iso_ms(touched_ms), int((now - touched_ms) / 1000)))
        return bool(self._abandon(keys=[key, TOUCHED, OUTBOX], args=[touched_ms, envelope]))

    def report_all_abandoned(self, now=None):
        """One pass of the abandonment scan; returns how many carts were reported."""
        now = now or self.outbox.now_ms()  # the business clock (kit.demo_clock)
        cutoff = now - int(self.settings.abandon_after_s * 1000)
        reported = 0
        seen = set()
        while True:
            batch = [(k, t) for k, t in self.idle_carts(cutoff, self.settings.abandon_scan_batch)
                     if k not in seen]
            if not batch:
                return reported
            for key, touched in batch:
                seen.add(key)  # each cart once per pass, whatever the script decided
                reported += self.report_abandoned(key, touched, now)

    # checkout holds

    def hold(self, owner, order_ref, lines, ttl_s):
        """(Re)place the advisory locks of `order_ref` for these lines; drop stale ones.
        Returns the cart key already holding this order_ref if it is another cart, else None."""
        record = hold_key(order_ref)
        previous = self.client.hgetall(record)
        holder = previous.pop("_cart", None)
        if holder is not None and holder != owner.key:
            return holder
        pipe = self.client.pipeline(transaction=True)
        for variant in previous:
            if int(variant) not in lines:
                pipe.delete(lock_key(variant, order_ref))
        pipe.delete(record)
        for variant, quantity in lines.items():
            pipe.set(lock_key(variant, order_ref), quantity, ex=ttl_s)
        pipe.hset(record, mapping={"_cart": owner.key, **{str(v): q for v, q in lines.items()}})
        pipe.expire(record, ttl_s)
        pipe.execute()
        return None

    def release_hold(self, order_ref):
        record = hold_key(order_ref)
        previous = self.client.hgetall(record)
        previous.pop("_cart", None)
        pipe = self.client.pipeline(transaction=True)
        for variant in previous:
            pipe.delete(lock_key(variant, order_ref))
        pipe.delete(record)
        pipe.execute()
        return len(previous)
