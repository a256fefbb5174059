"""How a provider call is made, so that a crash or a timeout never loses or doubles money.

1. Claim, in a transaction under the payment's row lock: a `payment_attempts` row (`started`)
   and a lease on the payment (`lease_until`), so no sweeper or replica calls too.
2. Call the provider outside any transaction, cut off after PAYMENTS.provider_timeout_s
   (provider.call_with_timeout). Money-moving calls carry an idempotency key derived from
   the payment (`<payment_id>:authorize`), so a retry gets the provider's first answer.
3. Record, in a transaction under the row lock: the attempt's outcome and latency, the
   payment's move (status.py) and its event through the outbox; the lease ends.
A process that dies between 1 and 3 leaves a `started` attempt and a lease that runs out; the
sweeper counts that attempt as timed out and tries again (sweeper.py).

Auto-capture: a successful authorisation is captured at once. A challenge (requires_action)
waits for the provider's signed webhook (`apply_webhook`), then captures.

    ProviderCalls(transaction, outbox, provider, settings): the moves, the claim and the
    authorise → capture → void chain that every payments operation (charges.py) runs on.
"""
import logging
from datetime import timedelta

import sqlalchemy as sa

from kit.errors import Conflict, NotFound, ValidationFailed
from services.payments import events, presenters, risk_signals
from services.payments.fraud import FraudRules
from services.payments.lookups import find, utcnow
from services.payments.models import (AUTHORIZE, CAPTURE, ERROR, STARTED, SUCCEEDED, TIMEOUT,
                                      VOID, PaymentAttempt)
from services.payments.models import DECLINED as ATTEMPT_DECLINED
from services.payments.models import REQUIRES_ACTION as ATTEMPT_REQUIRES_ACTION
from services.payments.provider import (AUTHORIZED, DECLINED, REQUIRES_ACTION,
                                        ProviderError, ProviderTimeout, call_with_timeout)
from services.payments.status import S, can_move, illegal

log = logging.getLogger(__name__)


# --- errors the provider's refusals become -------------------------------------------------

def _field_error(code, message, path, problem):
    fields = {path[-1]: [problem]}
    for part in reversed(path[:-1]):
        fields = {part: fields}
    return ValidationFailed(code, message, {"fields": fields})


def card_refused(exc, path=()):
    """A ProviderError from tokenize/card_details as the error our caller should see."""
    if exc.code == "invalid_number":
        return _field_error("card_invalid", "The card number is not valid.",
                            (*path, "number"), "Not a valid card number.")
    if exc.code == "expired_card":
        return _field_error("card_expired", "The card has expired.", (*path, "exp_year"),
                            "The card has expired.")
    if exc.code == "invalid_token":
        return NotFound("payment_method_not_found", "No such saved card.", {})
    return ValidationFailed(exc.code, exc.message or "The card was refused.", {})


def provider_unavailable():
    return Conflict("provider_unavailable",
                    "The card gateway did not answer in time; please try again.")


def record_attempt(session, attempt_id, timed):
    """Step 3's bookkeeping: what a provider call did, on its attempt row."""
    attempt = session.get(PaymentAttempt, attempt_id)
    attempt.latency_ms = timed.latency_ms
    attempt.finished_at = utcnow()
    error = timed.error
    if isinstance(error, ProviderTimeout):
        attempt.status, attempt.error = TIMEOUT, "provider_timeout"
        attempt.error_message = str(error)[:300]
    elif isinstance(error, ProviderError):
        attempt.status, attempt.error = ERROR, error.code
        attempt.error_message = (error.message or "")[:300]
    elif error is not None:
        attempt.status, attempt.error = ERROR, "provider_error"
        attempt.error_message = repr(error)[:300]
    else:
        outcome = timed.result
        attempt.provider_ref = outcome.provider_ref
        attempt.status = {DECLINED: ATTEMPT_DECLINED,
                          REQUIRES_ACTION: ATTEMPT_REQUIRES_ACTION}.get(outcome.status,
                                                                      SUCCEEDED)
        attempt.error = outcome.code
        attempt.error_message = (outcome.message or None) and outcome.message[:300]
    return attempt


class ProviderCalls:
    def __init__(self, transaction, outbox, provider, settings):
        self.transaction = transaction
        self.outbox = outbox
        self.provider = provider
        self.settings = settings
        self.rules = FraudRules.from_settings(settings)
        self.trusted_ips = risk_signals.trusted_networks(settings.fraud_trusted_ips)

    def _call(self, fn, *args):
        return call_with_timeout(self.settings.provider_timeout_s, fn, *args)

    # --- moving a payment (inside a transaction, row locked) --------------------------------

    def _enter(self, session, payment, new, reason=None):
        if not can_move(payment.status, new):
            raise illegal(payment.status, new)
        now = utcnow()
        payment.status = S(new).value
        if new == S.HELD:
            payment.held_at = now
        elif new == S.COMPLETED:
            payment.completed_at = now
            payment.next_action = None
            self.outbox.add(session, events.PAYMENT_COMPLETED, events.payment_completed(payment))
        elif new == S.FAILED:
            payment.failed_at = now
            payment.failure_code = reason
            payment.next_action = None
            self.outbox.add(session, events.PAYMENT_FAILED, events.payment_data(payment, reason))
        elif new == S.CANCELLED:
            payment.cancelled_at = now
            payment.next_action = None
            self.outbox.add(session, events.PAYMENT_CANCELLED,
                            events.payment_data(payment, reason))

    def _claim(self, session, payment, kind, refund_id=None):
        """Step 1: the attempt row and the lease. Returns the attempt id."""
        attempt = PaymentAttempt(payment_id=payment.id, kind=kind, status=STARTED,
                                 refund_id=refund_id)
        payment.lease_until = utcnow() + timedelta(seconds=self.settings.lease_s)
        session.add(attempt)
        session.flush()
        return attempt.id

    def _step(self, session, payment, kind):
        """Claim a provider call (step 1) and say what it will send: (kind, payment id,
        attempt id, the call's arguments). The arguments are read here, under the row lock
        that claims the call, so running it needs no transaction of its own to read them."""
        if kind == AUTHORIZE:
            call = (payment.provider_token, payment.amount, payment.currency, payment.id,
                    f"{payment.id}:authorize", payment.user_id)
        elif kind == CAPTURE:
            call = (payment.provider_ref, payment.amount, f"{payment.id}:capture")
        else:
            call = (payment.provider_ref, f"{payment.id}:void")
        return kind, payment.id, self._claim(session, payment, kind), call

    @staticmethod
    def _failures(session, payment_id, kind):
        """Calls of this kind that got no answer (timed out, or broke in transport)."""
        return session.scalar(sa.select(sa.func.count()).select_from(PaymentAttempt).where(
            PaymentAttempt.payment_id == payment_id, PaymentAttempt.kind == kind,
            sa.or_(PaymentAttempt.status == TIMEOUT,
                   sa.and_(PaymentAttempt.status == ERROR,
                           PaymentAttempt.error == "provider_error"))))

    def _run(self, step):
        """Run a claimed step (see _step) and whatever it leads to. Returns the payment as
        the last step left it (presented in that step's transaction), or None if none ran."""
        view = None
        while step is not None:
            kind, payment_id, attempt_id, call = step
            step, view = {AUTHORIZE: self._authorize, CAPTURE: self._capture,
                          VOID: self._void}[kind](payment_id, attempt_id, call)
        return view

    @staticmethod
    def _view_of(session, payment):
        """The payment as it will be once this transaction commits (onupdate columns too)."""
        session.flush()
        return presenters.payment(payment)

    # --- authorise, capture, void -------------------------------------------------------------

    def _answer(self, call, after, payment_id, attempt_id, args):
        """Steps 2 and 3 of a claimed call: make it, then record what it did and apply it
        (`after`) under the row lock. Returns (the next step or None, the payment's view)."""
        timed = self._call(call, *args)
        with self.transaction() as session:
            payment = find(session, payment_id=payment_id, lock=True)
            record_attempt(session, attempt_id, timed)
            payment.lease_until = None
            step = after(session, payment, timed)
            return step, self._view_of(session, payment)

    def _authorize(self, payment_id, attempt_id, call):
        return self._answer(self.provider.authorize, self._after_authorize, payment_id, attempt_id,
                            call)

    def _after_authorize(self, session, payment, timed):
        outcome = timed.result if timed.error is None else None
        if payment.status not in (S.INITIATED.value, S.PENDING.value):
            # Cancelled while we were asking: an authorisation that went through is let go.
            if outcome is not None and outcome.status in (AUTHORIZED, REQUIRES_ACTION):
                payment.provider_ref = payment.provider_ref or outcome.provider_ref
                return self._step(session, payment, VOID)
            return None
        if isinstance(timed.error, ProviderError):
            self._enter(session, payment, S.FAILED, timed.error.code)
            return None
        if timed.error is not None:
            session.flush()
            if self._failures(session, payment.id, AUTHORIZE) > \
                    self.settings.max_provider_retries:
                self._enter(session, payment, S.FAILED, "provider_timeout")
            else:
                self._enter(session, payment, S.PENDING)
            return None
        payment.provider_ref = outcome.provider_ref
        if outcome.status == AUTHORIZED:
            self._enter(session, payment, S.AUTHORIZED)
            return self._step(session, payment, CAPTURE)
        if outcome.status == REQUIRES_ACTION:
            payment.next_action = outcome.next_action
            self._enter(session, payment, S.REQUIRES_ACTION)
            return None
        self._enter(session, payment, S.FAILED, outcome.code or "card_declined")
        return None

    def _capture(self, payment_id, attempt_id, call):
        return self._answer(self.provider.capture, self._after_capture, payment_id, attempt_id,
                            call)

    def _after_capture(self, session, payment, timed):
        if payment.status != S.AUTHORIZED.value:
            log.error("capture of %s answered while it is %s: %r", payment.id,
                      payment.status, timed.result or timed.error)
            return None
        if isinstance(timed.error, ProviderError):
            self._enter(session, payment, S.FAILED, timed.error.code)
            return self._step(session, payment, VOID)
        if timed.error is not None:
            session.flush()
            if self._failures(session, payment.id, CAPTURE) > \
                    self.settings.max_provider_retries:
                self._enter(session, payment, S.FAILED, "provider_timeout")
                return self._step(session, payment, VOID)
            payment.updated_at = utcnow()  # the sweeper retries after a pause
            return None
        payment.captured_amount = timed.result.amount or payment.amount
        self._enter(session, payment, S.COMPLETED)
        return None

    def _void(self, payment_id, attempt_id, call):
        return self._answer(self.provider.void, self._after_void, payment_id, attempt_id,
                            call)

    def _after_void(self, session, payment, timed):
        if timed.error is not None:
            log.warning("void of %s failed: %r (the authorisation lapses on its own)",
                        payment.id, timed.error)
        return None
