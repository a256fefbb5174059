"""Carts in Redis: the keys, the Lua steps that change a cart together with its events, reads.

Keys (one Redis db, so one Lua step can touch all of them at once):
  cart:{user_id}, cart:session:{session_id}
      hash {"<variant_id>": quantity, "_updated_at": ms}; an empty cart has no key at all.
      EXPIREs `CART.ttl_s` (30 days) after its last change.
  carts:touched
      ZSET cart key -> last change (ms): the idle clock of every cart not yet reported
      abandoned. The abandonment scan reads it by score (ZRANGEBYSCORE, never KEYS).
  outbox:cart
      stream of event envelopes not yet on the broker; see relay.py.
  cart:analytics
      stream, one entry per line added / removed / merged and per clear (MAXLEN ~).
  inventory:lock:{variant_id}:{order_ref}, checkout:hold:{order_ref}
      advisory checkout holds, see `hold`.

Every change is one Lua script: it checks (stock, sellable, line limit), writes the cart,
restarts the idle clock, and XADDs the events to `outbox:cart` and the line to
`cart:analytics`. Redis runs a script alone, so two devices adding at once are serialised (no
lost update), and the change and its events exist together or not at all (AOF on). A check
that fails returns before any write: a refused change writes nothing.
"""
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from services.cart import events

TOUCHED = "carts:touched"
OUTBOX = "outbox:cart"
ANALYTICS = "cart:analytics"
USER_PREFIX = "cart:"
GUEST_PREFIX = "cart:session:"

# Stock sentinels passed to the merge script for lines that cannot be merged.
NOT_SELLABLE = -1
NOT_FOUND = -2


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
        section = config.get("CART") or {}
        defaults = cls()
        return cls(**{name: type(default)(section.get(name, default))
                      for name, default in vars(defaults).items()})


@dataclass(frozen=True)
class Owner:
    """Whose cart: a signed-in user or a guest session (exactly one of them)."""
    user_id: int = None
    session_id: str = None

    @property
    def key(self):
        return cart_key(self.user_id) if self.user_id else guest_cart_key(self.session_id)

    @property
    def cart_id(self):
        """The public name of the cart, safe to put in events: never the guest's raw session id."""
        return f"user:{self.user_id}" if self.user_id else f"guest:{guest_hash(self.session_id)}"

    def as_dict(self):
        return {"user_id": self.user_id} if self.user_id else {"session_id": self.session_id}


def cart_key(user_id):
    return f"{USER_PREFIX}{user_id}"


def guest_cart_key(session_id):
    return f"{GUEST_PREFIX}{session_id}"


def guest_hash(session_id):
    return hashlib.sha256(session_id.encode()).hexdigest()[:16]


def owner_of_key(key):
    if key.startswith(GUEST_PREFIX):
        return Owner(session_id=key[len(GUEST_PREFIX):])
    return Owner(user_id=int(key[len(USER_PREFIX):]))


def lock_key(variant_id, order_ref):
    return f"inventory:lock:{variant_id}:{order_ref}"


def hold_key(order_ref):
    return f"checkout:hold:{order_ref}"


def now_ms():
    return int(time.time() * 1000)


def iso_ms(ms):
    return (datetime.fromtimestamp(int(ms) / 1000, timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"))


# --- Lua --------------------------------------------------------------------------------------

_PRELUDE = """
local function lines_of(key)
  local flat = redis.call('HGETALL', key)
  local lines, count, total = {}, 0, 0
  for i = 1, #flat, 2 do
    if string.sub(flat[i], 1, 1) ~= '_' then
      local quantity = tonumber(flat[i + 1])
      lines[flat[i]] = quantity
      count = count + 1
      total = total + quantity
    end
  end
  return lines, count, total
end

-- The envelope comes ready from Python; the fields only this step knows are added here.
local function stage(outbox, envelope, computed)
  local env = cjson.decode(envelope)
  for k, v in pairs(computed) do env['data'][k] = v end
  redis.call('XADD', outbox, '*', 'id', env['id'], 'type', env['type'],
             'envelope', cjson.encode(env))
end

-- An empty cart is no cart: drop the key and its idle clock. Else restart both clocks.
local function settle(key, touched, now, ttl, count)
  if count == 0 then
    redis.call('DEL', key)
    redis.call('ZREM', touched, key)
  else
    redis.call('HSET', key, '_updated_at', now)
    redis.call('EXPIRE', key, ttl)
    redis.call('ZADD', touched, now, key)
  end
end

local function analytics(stream, maxlen, action, cart_id, user_id, variant_id, quantity,
                         line_quantity, now)
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'action', action, 'cart_id', cart_id,
             'user_id', user_id, 'variant_id', variant_id, 'quantity', quantity,
             'line_quantity', line_quantity, 'at', now)
end
"""

# KEYS: cart, touched, outbox, analytics
# ARGV: 1 variant_id, 2 mode (add|set), 3 quantity, 4 available stock, 5 sellable (1|0),
#       6 now_ms, 7 ttl_s, 8 max_lines, 9 analytics_maxlen, 10 cart_id, 11 user_id,
#       12 item_added envelope, 13 item_removed envelope, 14 cart_updated envelope
CHANGE_LINE = _PRELUDE + """
local variant = ARGV[1]
local before = tonumber(redis.call('HGET', KEYS[1], variant) or '0')
local after = tonumber(ARGV[3])
if ARGV[2] == 'add' then after = before + after end
if after == before then return {'unchanged', before, after} end
if after > before then
  -- only growing a line is checked: a shopper may always reduce what they hold
  if ARGV[5] ~= '1' then return {'product_inactive', before, after} end
  if after > tonumber(ARGV[4]) then return {'insufficient_stock', before, after} end
  if before == 0 then
    local _, count = lines_of(KEYS[1])
    if count >= tonumber(ARGV[8]) then return {'too_many_lines', before, after} end
  end
end
if after == 0 then
  redis.call('HDEL', KEYS[1], variant)
else
  redis.call('HSET', KEYS[1], variant, after)
end
local lines, count, total = lines_of(KEYS[1])
settle(KEYS[1], KEYS[2], ARGV[6], ARGV[7], count)
local reason
if after > before then
  reason = 'item_added'
  stage(KEYS[3], ARGV[12], {quantity = after - before, line_quantity = after})
  analytics(KEYS[4], ARGV[9], 'added', ARGV[10], ARGV[11], variant, after - before, after, ARGV[6])
else
  reason = 'item_removed'
  stage(KEYS[3], ARGV[13], {quantity = before - after, line_quantity = after})
  analytics(KEYS[4], ARGV[9], 'removed', ARGV[10], ARGV[11], variant, before - after, after,
            ARGV[6])
end
stage(KEYS[3], ARGV[14], {reason = reason, lines = lines, item_count = count,
                          total_quantity = total})
return {'ok', before, after}
"""

# KEYS: cart, touched, outbox, analytics
# ARGV: 1 now_ms, 2 analytics_maxlen, 3 cart_id, 4 user_id, 5 cart_updated envelope
CLEAR = _PRELUDE + """
local lines, count, total = lines_of(KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], KEYS[1])
if count == 0 then return 0 end
stage(KEYS[3], ARGV[5], {reason = 'cleared', lines = {}, item_count = 0, total_quantity = 0,
                         cleared_lines = lines})
analytics(KEYS[4], ARGV[2], 'cleared', ARGV[3], ARGV[4], '', total, 0, ARGV[1])
return count
"""

# KEYS: guest cart, user cart, touched, outbox, analytics
# ARGV: 1 now_ms, 2 ttl_s, 3 max_lines, 4 analytics_maxlen, 5 user cart_id, 6 user_id,
#       7 stock JSON {variant_id: available | -1 not sellable | -2 unknown},
#       8 cart_updated envelope
MERGE = _PRELUDE + """
local guest, guest_count = lines_of(KEYS[1])
if guest_count == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[3], KEYS[1])
  return {'nothing'}
end
local stock = cjson.decode(ARGV[7])
for variant in pairs(guest) do
  if stock[variant] == nil then return {'retry'} end  -- the guest cart changed since it was read
end
local variants = {}
for variant in pairs(guest) do table.insert(variants, variant) end
-- a fixed order, so a line limit always keeps the same lines
table.sort(variants, function(a, b) return tonumber(a) < tonumber(b) end)
local _, user_count = lines_of(KEYS[2])
local report = {}
for _, variant in ipairs(variants) do
  local wanted = guest[variant]
  local held = tonumber(redis.call('HGET', KEYS[2], variant) or '0')
  local available = tonumber(stock[variant])
  local entry = {guest_quantity = wanted, quantity_before = held, added = 0, capped = false}
  if available == -2 then
    entry['dropped'] = 'variant_not_found'
  elseif available < 0 then
    entry['dropped'] = 'product_inactive'
  elseif held == 0 and user_count >= tonumber(ARGV[3]) then
    entry['dropped'] = 'too_many_lines'
  else
    -- quantities add, capped by stock; a line already above stock is not cut by a merge
    local after = math.min(held + wanted, math.max(available, held))
    if after > held then
      redis.call('HSET', KEYS[2], variant, after)
      if held == 0 then user_count = user_count + 1 end
      analytics(KEYS[5], ARGV[4], 'merged', ARGV[5], ARGV[6], variant, after - held, after,
                ARGV[1])
    end
    entry['added'] = after - held
    entry['capped'] = after < held + wanted
  end
  entry['quantity_after'] = held + entry['added']
  report[variant] = entry
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], KEYS[1])
local lines, count, total = lines_of(KEYS[2])
settle(KEYS[2], KEYS[3], ARGV[1], ARGV[2], count)
stage(KEYS[4], ARGV[8], {reason = 'merged', merged = report, lines = lines, item_count = count,
                         total_quantity = total})
return {'ok', cjson.encode(report)}
"""

# KEYS: cart, touched, outbox
# ARGV: 1 the last-touched score the scan saw, 2 cart_abandoned envelope
# Compare-and-remove: a cart touched since the scan read it, or already reported by another
# replica, is left alone; so each idle period yields exactly one cart.abandoned.
ABANDON = _PRELUDE + """
local score = redis.call('ZSCORE', KEYS[2], KEYS[1])
if not score or tonumber(score) ~= tonumber(ARGV[1]) then return 0 end
redis.call('ZREM', KEYS[2], KEYS[1])
local lines, count, total = lines_of(KEYS[1])
if count == 0 then return 0 end
stage(KEYS[3], ARGV[2], {lines = lines, item_count = count, total_quantity = total})
return 1
"""


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
            args=[variant_id, mode, quantity, available, int(sellable), now_ms(),
                  self.settings.ttl_s, self.settings.max_lines, self.settings.analytics_maxlen,
                  owner.cart_id, owner.user_id or "", added, removed, updated])
        return status, int(before), int(after)

    def clear(self, owner):
        """Empty a cart; returns how many lines it had."""
        updated = self.outbox.envelope(events.CART_UPDATED, events.cart_updated(owner))
        return int(self._clear(keys=[owner.key, TOUCHED, OUTBOX, ANALYTICS],
                               args=[now_ms(), self.settings.analytics_maxlen, owner.cart_id,
                                     owner.user_id or "", updated]))

    def merge(self, guest, user, stock):
        """Fold the guest cart into the user's. `stock` maps each guest variant id to what may be
        held (or NOT_SELLABLE / NOT_FOUND). Returns the per-line report, {} if there was no
        guest cart, or None if the guest cart changed since `stock` was computed (retry)."""
        updated = self.outbox.envelope(events.CART_UPDATED,
                                       events.cart_updated(user, merged_from=guest.cart_id))
        reply = self._merge(
            keys=[guest.key, user.key, TOUCHED, OUTBOX, ANALYTICS],
            args=[now_ms(), self.settings.ttl_s, self.settings.max_lines,
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
        now = now or now_ms()
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
