"""The card gateway as the payments service sees it: one interface, whatever the provider.

    tokenize(card, customer)                  → CardDetails (the card goes into the provider's
                                                vault; we keep the token, never the number)
    card_details(token, customer)             → CardDetails of a vaulted card
    authorize(token, amount, currency, reference, idempotency_key, customer) → Outcome
    capture(provider_ref, amount, idempotency_key)  → Outcome
    void(provider_ref, idempotency_key)             → Outcome
    refund(provider_ref, amount, idempotency_key)   → Outcome
    detach(token)                                   forget a saved card

A refusal the provider explains (bad number, unknown token) raises ProviderError with its code.
A decline is not an error: it is an Outcome with status `declined` and a code. Every call is
bounded by `call_with_timeout`: a provider that does not answer within
PAYMENTS.provider_timeout_s raises ProviderTimeout, and the attempt is recorded as `timeout`.
Calls that move money take an idempotency key, so a retry after a timeout can never charge twice.
"""
import time
from dataclasses import dataclass, field

import eventlet

# Outcome statuses
AUTHORIZED, CAPTURED, VOIDED, REFUNDED = "authorized", "captured", "voided", "refunded"
DECLINED, REQUIRES_ACTION = "declined", "requires_action"


class ProviderError(Exception):
    """The provider refused the request itself (not a decline): `code` says why."""

    def __init__(self, code, message=""):
        super().__init__(code, message)
        self.code, self.message = code, message


class ProviderTimeout(Exception):
    """The provider did not answer in time; the call's effect (if any) is unknown."""


@dataclass(frozen=True)
class CardDetails:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str


@dataclass(frozen=True)
class Outcome:
    status: str
    provider_ref: str | None = None
    code: str | None = None          # why it was declined
    message: str = ""
    next_action: dict | None = None  # what the shopper must do (requires_action)
    amount: int | None = None
    extra: dict = field(default_factory=dict)


class PaymentProvider:
    """What every provider implements (the sandbox in sandbox.py is the one we have)."""

    name = "provider"

    def tokenize(self, card, customer):
        raise NotImplementedError

    def card_details(self, token, customer):
        raise NotImplementedError

    def authorize(self, token, amount, currency, reference, idempotency_key, customer):
        raise NotImplementedError

    def capture(self, provider_ref, amount, idempotency_key):
        raise NotImplementedError

    def void(self, provider_ref, idempotency_key):
        raise NotImplementedError

    def refund(self, provider_ref, amount, idempotency_key):
        raise NotImplementedError

    def detach(self, token):
        raise NotImplementedError


@dataclass
class Timed:
    """What one bounded call gave: its result or error, and how long it took."""
    result: object = None
    error: Exception | None = None
    latency_ms: int = 0


def call_with_timeout(timeout_s, fn, *args, **kwargs):
    """Run one provider call, cut off after `timeout_s`; never raises what the call raised.

    Returns Timed(result | error, latency_ms); error is ProviderTimeout, ProviderError, or
    whatever else broke (a bug or a network failure, recorded as an `error` attempt).
    """
    started = time.monotonic()
    timer = eventlet.Timeout(timeout_s)
    outcome = Timed()
    try:
        outcome.result = fn(*args, **kwargs)
    except eventlet.Timeout as exc:
        if exc is not timer:
            raise
        outcome.error = ProviderTimeout(f"no answer within {timeout_s:g}s")
    except Exception as exc:  # recorded on the attempt; the payment decides what it means
        outcome.error = exc
    finally:
        timer.cancel()
        outcome.latency_ms = int((time.monotonic() - started) * 1000)
    return outcome
