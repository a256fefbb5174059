"""The names of things in the cart's Redis db: keys, owners, the clock.

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
"""
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timezone

TOUCHED = "carts:touched"
OUTBOX = "outbox:cart"
ANALYTICS = "cart:analytics"
USER_PREFIX = "cart:"
GUEST_PREFIX = "cart:session:"

# Stock sentinels passed to the merge script for lines that cannot be merged.
NOT_SELLABLE = -1
NOT_FOUND = -2


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
