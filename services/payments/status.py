"""A payment's status and the moves it may make (docs/checkout-saga.md, step 2).

    initiated ──▶ held ──(approve)──▶ initiated        held ──(reject / no review)──▶ failed
    initiated ──▶ pending (the provider did not answer in time; the sweeper retries)
    initiated | pending ──▶ requires_action ──(webhook)──▶ authorized
    initiated | pending ──▶ authorized ──(capture)──▶ completed
    any open status ──▶ failed | cancelled

completed, failed and cancelled are final. Refunds do not change the status: a completed
payment carries captured_amount and refunded_amount.
"""
from enum import Enum

from kit.errors import Conflict


class PaymentStatus(str, Enum):
    INITIATED = "initiated"
    HELD = "held"
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    AUTHORIZED = "authorized"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = PaymentStatus

MOVES = {
    S.INITIATED: {S.HELD, S.PENDING, S.REQUIRES_ACTION, S.AUTHORIZED, S.FAILED, S.CANCELLED},
    S.HELD: {S.INITIATED, S.FAILED, S.CANCELLED},
    S.PENDING: {S.PENDING, S.REQUIRES_ACTION, S.AUTHORIZED, S.FAILED, S.CANCELLED},
    S.REQUIRES_ACTION: {S.AUTHORIZED, S.FAILED, S.CANCELLED},
    S.AUTHORIZED: {S.COMPLETED, S.FAILED, S.CANCELLED},
    S.COMPLETED: set(),
    S.FAILED: set(),
    S.CANCELLED: set(),
}

FINAL = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED})
OPEN = frozenset(S) - FINAL
# Waiting on our own provider call (authorise or capture), which the sweeper retries.
AWAITING_PROVIDER = frozenset({S.INITIATED, S.PENDING, S.AUTHORIZED})


def can_move(current, new):
    return S(new) in MOVES[S(current)]


def illegal(current, new):
    return Conflict("illegal_transition",
                    f"A {S(current).value} payment cannot become {S(new).value}.",
                    {"from": S(current).value, "to": S(new).value})
