"""Charging a card for an order: initiate, authorise, capture, void, review, webhooks, retries.

    Charges(transaction, outbox, provider, settings)

How a provider call is made, so that a crash or a timeout never loses or doubles money:
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
"""
import logging
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.payments import events, presenters, risk_signals
from services.payments.fraud import FraudRules
from services.payments.models import (APPROVED, AUTHORIZE, CAPTURE, ERROR, EXPIRED, REJECTED,
                                      STAFF_ROLES, STARTED, SUCCEEDED, TIMEOUT, VOID,
                                      FraudFlag, Payment, PaymentAttempt, PaymentMethod,
                                      ProcessedWebhook, Refund)
from services.payments.models import DECLINED as ATTEMPT_DECLINED
from services.payments.models import REQUIRES_ACTION as ATTEMPT_REQUIRES_ACTION
from services.payments.provider import (AUTHORIZED, DECLINED, REQUIRES_ACTION,
                                        ProviderError, ProviderTimeout, call_with_timeout)
from services.payments.status import AWAITING_PROVIDER, FINAL, S, can_move, illegal

log = logging.getLogger(__name__)


def utcnow():
    return datetime.now(timezone.utc)


def new_payment_id():
    return f"pay_{uuid.uuid4().hex}"


def payment_not_found(payment_id=None, order_ref=None):
    what = payment_id or f"order {order_ref}"
    return NotFound("payment_not_found", f"No payment {what}.",
                    {"payment_id": payment_id} if payment_id else {"order_ref": order_ref})


def is_staff(actor):
    return actor.get("role") in STAFF_ROLES


def require_staff(actor):
    if not is_staff(actor):
        raise Forbidden("staff_only", "Only support and admin staff may do this.")
    return actor["user_id"]


def lock_order_ref(session, order_ref):
    """One initiation per order at a time (a retry racing the original waits, then replays)."""
    session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": f"payment_for_order:{order_ref}"})


def find(session, payment_id=None, order_ref=None, provider_ref=None, lock=False,
         skip_locked=False):
    if payment_id is not None:
        query = sa.select(Payment).where(Payment.id == payment_id)
    elif order_ref is not None:
        query = sa.select(Payment).where(Payment.order_ref == order_ref)
    else:
        query = sa.select(Payment).where(Payment.provider_ref == provider_ref)
    if lock:
        query = query.with_for_update(skip_locked=skip_locked)
    return session.scalars(query).first()


def lease_active(payment, now=None):
    return payment.lease_until is not None and payment.lease_until > (now or utcnow())


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


class Charges:
    def __init__(self, transaction, outbox, provider, settings):
        self.transaction = transaction
        self.outbox = outbox
        self.provider = provider
        self.settings = settings
        self.rules = FraudRules.from_settings(settings)
        self.trusted_ips = risk_signals.trusted_networks(settings.fraud_trusted_ips)

    def _call(self, fn, *args):
        return call_with_timeout(self.settings.provider_timeout_s, fn, *args)

    # --- reading ----------------------------------------------------------------------------

    def view(self, payment_id):
        with self.transaction() as session:
            return presenters.payment(find(session, payment_id=payment_id))

    def details(self, actor, payment_id):
        """A payment with its refunds; staff also see the provider attempts and the fraud flag.
        A shopper asking for someone else's payment gets the same NotFound as a missing one."""
        with self.transaction() as session:
            payment = find(session, payment_id=payment_id)
            if payment is None or (not is_staff(actor) and payment.user_id != actor["user_id"]):
                raise payment_not_found(payment_id)
            refunds = session.scalars(sa.select(Refund).where(Refund.payment_id == payment.id)
                                      .order_by(Refund.created_at)).all()
            result = {**presenters.payment(payment),
                      "refunds": [presenters.refund(r) for r in refunds]}
            if is_staff(actor):
                attempts = session.scalars(sa.select(PaymentAttempt).where(
                    PaymentAttempt.payment_id == payment.id).order_by(PaymentAttempt.id)).all()
                flag = session.scalars(sa.select(FraudFlag).where(
                    FraudFlag.payment_id == payment.id)).first()
                result["attempts"] = [presenters.attempt(a) for a in attempts]
                result["fraud"] = presenters.fraud_flag(flag)
            return result

    def by_order(self, order_ref):
        with self.transaction() as session:
            payment = find(session, order_ref=order_ref)
            if payment is None:
                raise payment_not_found(order_ref=order_ref)
            return presenters.payment(payment)

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

    # --- initiating -------------------------------------------------------------------------

    def initiate(self, request):
        """docs/checkout-saga.md step 2. Idempotent per order_ref."""
        with self.transaction() as session:
            existing = find(session, order_ref=request["order_ref"])
            if existing is not None:
                return self._replay(existing, request)
        card, method_id = self._card_for(request)
        now = utcnow()
        with self.transaction() as session:
            lock_order_ref(session, request["order_ref"])
            existing = find(session, order_ref=request["order_ref"])
            if existing is not None:
                return self._replay(existing, request)
            payment = Payment(
                id=new_payment_id(), order_ref=request["order_ref"],
                order_id=request["order_id"], user_id=request["user_id"],
                amount=request["amount"], currency=request["currency"],
                status=S.INITIATED.value, provider=self.provider.name,
                provider_token=card.token, payment_method_id=method_id,
                card_brand=card.brand, card_last4=card.last4, card_fingerprint=card.fingerprint,
                ip_address=request.get("ip"),
                billing_country=_country(request.get("billing_address")),
                shipping_country=_country(request.get("shipping_address")),
                captured_amount=0, refunded_amount=0)
            session.add(payment)
            session.flush()
            self.outbox.add(session, events.PAYMENT_INITIATED, events.payment_data(payment))
            assessment, flag = risk_signals.assess(session, payment, self.rules, now,
                                                     self.trusted_ips)
            step = None
            if assessment.hold:
                self._enter(session, payment, S.HELD)
                self.outbox.add(session, events.FRAUD_DETECTED,
                                events.fraud_detected(payment, flag))
            else:
                step = self._step(session, payment, AUTHORIZE)
            view = self._view_of(session, payment)
        # The last provider step's transaction presents the payment: no read of our own.
        return self._run(step) or view

    @staticmethod
    def _replay(existing, request):
        same = (existing.user_id == request["user_id"] and existing.amount == request["amount"]
                and existing.currency == request["currency"])
        if not same:
            raise Conflict("order_ref_reused",
                           f"Order {request['order_ref']} already has a different payment.",
                           {"order_ref": request["order_ref"], "payment_id": existing.id})
        return presenters.payment(existing)

    def _card_for(self, request):
        """(CardDetails, saved method id or None) for the payment method the order gave."""
        method, user_id = request["payment_method"], request["user_id"]
        if "card" in method:
            timed = self._call(self.provider.tokenize, method["card"], user_id)
            path = ("payment_method", "card")
            saved_id = None
        else:
            with self.transaction() as session:
                saved = session.scalars(sa.select(PaymentMethod).where(
                    PaymentMethod.provider_token == method["token"])).first()
                if saved is not None and saved.user_id != user_id:
                    raise NotFound("payment_method_not_found", "No such saved card.", {})
                saved_id = saved.id if saved is not None else None
            timed = self._call(self.provider.card_details, method["token"], user_id)
            path = ("payment_method", "token")
        if isinstance(timed.error, ProviderError):
            raise card_refused(timed.error, path)
        if timed.error is not None:
            log.warning("card lookup for %s failed: %r", request["order_ref"], timed.error)
            raise provider_unavailable()
        return timed.result, saved_id

    # --- authorise, capture, void -------------------------------------------------------------

    def _authorize(self, payment_id, attempt_id, call):
        timed = self._call(self.provider.authorize, *call)
        with self.transaction() as session:
            payment = find(session, payment_id=payment_id, lock=True)
            record_attempt(session, attempt_id, timed)
            payment.lease_until = None
            step = self._after_authorize(session, payment, timed)
            return step, self._view_of(session, payment)

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
        timed = self._call(self.provider.capture, *call)
        with self.transaction() as session:
            payment = find(session, payment_id=payment_id, lock=True)
            record_attempt(session, attempt_id, timed)
            payment.lease_until = None
            step = self._after_capture(session, payment, timed)
            return step, self._view_of(session, payment)

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
        timed = self._call(self.provider.void, *call)
        with self.transaction() as session:
            payment = find(session, payment_id=payment_id, lock=True)
            record_attempt(session, attempt_id, timed)
            payment.lease_until = None
            step = self._after_void(session, payment, timed)
            return step, self._view_of(session, payment)

    def _after_void(self, session, payment, timed):
        if timed.error is not None:
            log.warning("void of %s failed: %r (the authorisation lapses on its own)",
                        payment.id, timed.error)
        return None

    # --- cancelling ---------------------------------------------------------------------------

    def cancel(self, order_ref):
        """Void if not captured; idempotent. Conflict payment_captured once it completed (refund
        it instead), payment_in_progress while its capture is in flight."""
        with self.transaction() as session:
            payment = find(session, order_ref=order_ref, lock=True)
            if payment is None:
                raise payment_not_found(order_ref=order_ref)
            if payment.status == S.COMPLETED.value:
                raise Conflict("payment_captured", "The payment was captured; refund it instead.",
                               presenters.payment(payment))
            if S(payment.status) in FINAL:
                return presenters.payment(payment)
            if payment.status == S.AUTHORIZED.value and lease_active(payment):
                raise Conflict("payment_in_progress", "The payment is being captured right now.",
                               presenters.payment(payment))
            # An authorise in flight for an initiated/pending payment finds it cancelled and
            # voids what it got (_authorize).
            must_void = payment.provider_ref is not None and payment.status in (
                S.AUTHORIZED.value, S.REQUIRES_ACTION.value)
            self._enter(session, payment, S.CANCELLED, "cancelled")
            step = self._step(session, payment, VOID) if must_void else None
            payment_id = payment.id
        self._run(step)
        return self.view(payment_id)

    # --- fraud review -------------------------------------------------------------------------

    def review(self, actor, payment_id, decision):
        reviewer = require_staff(actor)
        with self.transaction() as session:
            payment = find(session, payment_id=payment_id, lock=True)
            if payment is None:
                raise payment_not_found(payment_id)
            if payment.status != S.HELD.value:
                raise Conflict("payment_not_held", f"The payment is {payment.status}, not held "
                               "for review.", {"payment_id": payment_id,
                                               "status": payment.status})
            flag = session.scalars(sa.select(FraudFlag).where(
                FraudFlag.payment_id == payment.id).with_for_update()).first()
            flag.reviewed_by, flag.reviewed_at = reviewer, utcnow()
            step = None
            if decision == "approve":
                flag.decision = APPROVED
                self._enter(session, payment, S.INITIATED)
                step = self._step(session, payment, AUTHORIZE)
            else:
                flag.decision = REJECTED
                self._enter(session, payment, S.FAILED, "fraud_rejected")
        self._run(step)
        return self.view(payment_id)

    # --- webhooks -----------------------------------------------------------------------------

    def apply_webhook(self, event):
        """A provider event whose signature and age checked out. Each event id applies once:
        a second time is Conflict webhook_replayed and changes nothing."""
        data = event["data"]
        with self.transaction() as session:
            seen = session.execute(
                insert(ProcessedWebhook).values(event_id=event["id"], event_type=event["type"])
                .on_conflict_do_nothing().returning(ProcessedWebhook.event_id)).first()
            if seen is None:
                raise Conflict("webhook_replayed", "This webhook was already processed.",
                               {"event_id": event["id"]})
            payment = self._webhook_payment(session, data)
            if payment is None:
                log.warning("webhook %s (%s) names no payment we know", event["id"],
                            event["type"])
                return {"received": True, "event_id": event["id"], "payment_id": None,
                        "status": None, "applied": False}
            asking = payment.status in (S.INITIATED.value, S.PENDING.value)
            if asking and lease_active(payment):
                # Our authorise call has not returned yet: not recorded, so the provider's
                # retry (it resends anything but a 2xx or webhook_replayed) applies it later.
                raise Conflict("payment_in_progress", "The payment is being authorised; "
                               "send this event again shortly.", {"event_id": event["id"]})
            session.execute(sa.update(ProcessedWebhook)
                            .where(ProcessedWebhook.event_id == event["id"])
                            .values(payment_id=payment.id))
            step, applied = None, False
            # A payment whose authorise timed out on our side (pending) may have reached the
            # provider all the same: its outcome counts as much as a challenge's.
            waiting = payment.status == S.REQUIRES_ACTION.value or asking
            if event["type"] == "authorization.succeeded":
                if waiting:
                    payment.provider_ref = payment.provider_ref or data.get("provider_ref")
                    self._enter(session, payment, S.AUTHORIZED)
                    step = self._step(session, payment, CAPTURE)
                    applied = True
                elif payment.status in (S.CANCELLED.value, S.FAILED.value):
                    # The shopper passed the challenge after we gave up: release the hold.
                    payment.provider_ref = payment.provider_ref or data.get("provider_ref")
                    step = self._step(session, payment, VOID)
            elif event["type"] == "authorization.failed" and waiting:
                payment.provider_ref = payment.provider_ref or data.get("provider_ref")
                self._enter(session, payment, S.FAILED,
                            data.get("failure_code") or "authentication_failed")
                applied = True
            payment_id = payment.id
        self._run(step)
        view = self.view(payment_id)
        return {"received": True, "event_id": event["id"], "payment_id": payment_id,
                "status": view["status"], "applied": applied}

    @staticmethod
    def _webhook_payment(session, data):
        """The payment an event is about: by the provider's charge id, or — when our authorise
        timed out before we learnt that id — by our own reference, if it names no other
        charge."""
        ref = data.get("provider_ref")
        payment = find(session, provider_ref=ref, lock=True) if ref else None
        if payment is None and isinstance(data.get("reference"), str):
            payment = find(session, payment_id=data["reference"], lock=True)
            if payment is not None and payment.provider_ref not in (None, ref):
                return None
        return payment

    # --- the sweeper's steps ----------------------------------------------------------------

    def resume(self, payment_id):
        """Retry the provider call a payment is waiting on (its last one timed out, or its
        process died mid-call), or fail it once the retries are used up."""
        with self.transaction() as session:
            payment = find(session, payment_id=payment_id, lock=True, skip_locked=True)
            if payment is None or S(payment.status) not in AWAITING_PROVIDER \
                    or lease_active(payment):
                return "skipped"
            session.execute(sa.update(PaymentAttempt).where(
                PaymentAttempt.payment_id == payment.id, PaymentAttempt.status == STARTED,
                PaymentAttempt.kind.in_((AUTHORIZE, CAPTURE))).values(
                    status=TIMEOUT, error="provider_timeout", finished_at=utcnow(),
                    error_message="abandoned: the process died during the call"))
            kind = CAPTURE if payment.status == S.AUTHORIZED.value else AUTHORIZE
            if self._failures(session, payment.id, kind) > self.settings.max_provider_retries:
                self._enter(session, payment, S.FAILED, "provider_timeout")
                step = self._step(session, payment, VOID) \
                    if kind == CAPTURE else None
                outcome = "failed"
            else:
                step = self._step(session, payment, kind)
                outcome = "retried"
        self._run(step)
        return outcome

    def expire_hold(self, payment_id):
        with self.transaction() as session:
            payment = find(session, payment_id=payment_id, lock=True, skip_locked=True)
            if payment is None or payment.status != S.HELD.value:
                return "skipped"
            session.execute(sa.update(FraudFlag).where(FraudFlag.payment_id == payment.id)
                            .values(decision=EXPIRED))
            self._enter(session, payment, S.FAILED, "fraud_review_timeout")
        return "failed"

    def expire_challenge(self, payment_id):
        with self.transaction() as session:
            payment = find(session, payment_id=payment_id, lock=True, skip_locked=True)
            if payment is None or payment.status != S.REQUIRES_ACTION.value \
                    or lease_active(payment):
                return "skipped"
            self._enter(session, payment, S.FAILED, "authentication_timeout")
            step = self._step(session, payment, VOID) \
                if payment.provider_ref else None
        self._run(step)
        return "failed"


def _country(address):
    country = (address or {}).get("country")
    return country.upper() if country else None
