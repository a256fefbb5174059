"""The order status machine: which status may follow which, and nothing else (no I/O).

  pending ─▶ payment_pending ─▶ paid ─▶ fulfilled ─▶ shipped ─▶ delivered
     │             │             │         │
     │             ├─▶ payment_failed      └─▶ (cancel → refund) ─▶ refunded
     └─────────────┴─▶ cancelled           paid ─▶ refunded

Every move goes through `check` (or `path`), so an illegal one raises Conflict
`illegal_transition` (409) before anything is written.
"""
import enum
from collections import deque

from kit.errors import Conflict


class OrderStatus(str, enum.Enum):
    PENDING = "pending"                  # saved with its stock reserved; payment not started
    PAYMENT_PENDING = "payment_pending"  # payment initiated (or held for a fraud review)
    PAID = "paid"
    FULFILLED = "fulfilled"              # picked and packed
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    PAYMENT_FAILED = "payment_failed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"

    def __str__(self):
        return self.value


S = OrderStatus

TRANSITIONS = {
    S.PENDING: (S.PAYMENT_PENDING, S.CANCELLED),
    S.PAYMENT_PENDING: (S.PAID, S.PAYMENT_FAILED, S.CANCELLED),
    S.PAID: (S.FULFILLED, S.REFUNDED),
    S.FULFILLED: (S.SHIPPED, S.REFUNDED),
    S.SHIPPED: (S.DELIVERED,),
    S.DELIVERED: (),
    S.PAYMENT_FAILED: (),
    S.CANCELLED: (),
    S.REFUNDED: (),
}

ALL = tuple(S)
FINAL = tuple(s for s, after in TRANSITIONS.items() if not after)
AWAITING_PAYMENT = (S.PENDING, S.PAYMENT_PENDING)
# Paid, so the sale stands: its stock is committed and its cart cleared.
SOLD = (S.PAID, S.FULFILLED, S.SHIPPED, S.DELIVERED)
# Staff move these forward by hand; the payment saga owns every other move.
FULFILMENT = (S.FULFILLED, S.SHIPPED, S.DELIVERED)
# A shopper may cancel up to here (before it ships).
CANCELLABLE = (S.PENDING, S.PAYMENT_PENDING, S.PAID, S.FULFILLED)


def can_move(old, new):
    return S(new) in TRANSITIONS[S(old)]


def illegal(old, new):
    old, new = S(old), S(new)
    return Conflict("illegal_transition", f"An order cannot go from {old} to {new}.",
                    {"from": old.value, "to": new.value,
                     "allowed": [s.value for s in TRANSITIONS[old]]})


def check(old, new):
    """Raise Conflict illegal_transition unless `new` may directly follow `old`."""
    if not can_move(old, new):
        raise illegal(old, new)
    return S(new)


def path(old, new):
    """The shortest chain of legal moves from `old` to `new` (without `old`), e.g.
    pending → paid is [payment_pending, paid]. [] if already there; Conflict if unreachable."""
    old, new = S(old), S(new)
    if old == new:
        return []
    previous = {old: None}
    queue = deque([old])
    while queue:
        current = queue.popleft()
        for following in TRANSITIONS[current]:
            if following in previous:
                continue
            previous[following] = current
            if following == new:
                chain = [new]
                while previous[chain[-1]] != old:
                    chain.append(previous[chain[-1]])
                return chain[::-1]
            queue.append(following)
    raise illegal(old, new)


def reachable(old, new):
    try:
        path(old, new)
        return True
    except Conflict:
        return False
