"""Charging a card for an order: the operations, one class.

    Charges(transaction, outbox, provider, settings)

Where each part lives: provider_calls.py (how a provider call is made: claim, call, record;
authorise → capture → void), initiation.py (initiate), webhooks.py (the provider's events),
lookups.py (find, lock, who may see). Here: reading, cancelling, fraud review and the
sweeper's steps.

Auto-capture: a successful authorisation is captured at once. A challenge (requires_action)
waits for the provider's signed webhook (`apply_webhook`), then captures.
"""
import sqlalchemy as sa

from kit.errors import Conflict
from services.payments import presenters
from services.payments.initiation import Initiation
from services.payments.lookups import (find, is_staff, lease_active, payment_not_found,
                                       require_staff, utcnow)
from services.payments.models import (APPROVED, AUTHORIZE, CAPTURE, EXPIRED, REJECTED,
                                      STARTED, TIMEOUT, VOID, FraudFlag, PaymentAttempt,
                                      Refund)
from services.payments.status import AWAITING_PROVIDER, FINAL, S
from services.payments.webhooks import Webhooks


class Charges(Initiation, Webhooks):
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
