"""Refunds: full or partial, never more than was captured, one refund per idempotency key.

    Refunds(transaction, outbox, provider, settings).request(actor, payment_id, amount, reason,
                                                             idempotency_key)

Under the payment's row lock: the key is looked up first (a repeat returns the first refund,
`replayed: true`), then the amount is checked against captured minus every refund already
processed or still pending — a pending refund holds its amount, so two refunds racing on one
payment can never add up to more than was captured. The refund row (pending) and its attempt
are claimed in that transaction; the provider call runs outside it (bounded, with the refund
id as the provider's idempotency key), then the outcome is recorded with `refund.processed`.
A refund whose call timed out stays pending and the sweeper retries it.

Who may refund: support and admin staff; a service acting for itself ({"role": "system"});
and the shopper who paid, for the whole payment only — the orders service asks that way when
a shopper cancels their own paid order (docs/checkout-saga.md step 4).
"""
import logging
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from kit.errors import Conflict, Forbidden
from services.payments import events, presenters
from services.payments.lookups import find, payment_not_found, utcnow
from services.payments.models import (ERROR, REFUND, REFUND_FAILED, REFUND_PENDING,
                                      REFUND_PROCESSED, STAFF_ROLES, STARTED, SYSTEM_ROLE,
                                      TIMEOUT, PaymentAttempt, Refund)
from services.payments.provider import ProviderError, call_with_timeout
from services.payments.provider_calls import record_attempt
from services.payments.status import S

log = logging.getLogger(__name__)


def new_refund_id():
    return f"re_{uuid.uuid4().hex}"


def may_refund(actor, payment, amount):
    if actor["role"] in STAFF_ROLES or actor["role"] == SYSTEM_ROLE:
        return True
    return actor["role"] == "customer" and actor.get("user_id") == payment.user_id \
        and amount is None


def refundable(session, payment):
    """(already processed, pending, still refundable) for a payment, in minor units."""
    rows = dict(session.execute(
        sa.select(Refund.status, sa.func.coalesce(sa.func.sum(Refund.amount), 0))
        .where(Refund.payment_id == payment.id,
               Refund.status.in_((REFUND_PENDING, REFUND_PROCESSED)))
        .group_by(Refund.status)).all())
    processed, pending = int(rows.get(REFUND_PROCESSED, 0)), int(rows.get(REFUND_PENDING, 0))
    return processed, pending, payment.captured_amount - processed - pending


class Refunds:
    def __init__(self, transaction, outbox, provider, settings):
        self.transaction = transaction
        self.outbox = outbox
        self.provider = provider
        self.settings = settings

    def request(self, actor, payment_id, amount, reason, idempotency_key):
        try:
            with self.transaction() as session:
                payment = find(session, payment_id=payment_id, lock=True)
                if payment is None:
                    raise payment_not_found(payment_id)
                if not may_refund(actor, payment, amount):
                    raise Forbidden("staff_only", "Only support and admin staff may refund.")
                existing = session.scalars(sa.select(Refund).where(
                    Refund.idempotency_key == idempotency_key)).first()
                if existing is not None:
                    if existing.payment_id != payment.id or (
                            amount is not None and amount != existing.amount):
                        raise Conflict("idempotency_key_reused",
                                       "This Idempotency-Key was used for another refund.",
                                       {"refund_id": existing.id})
                    return presenters.refund(existing, replayed=True)
                if payment.status != S.COMPLETED.value or payment.captured_amount <= 0:
                    raise Conflict("payment_not_captured",
                                   f"The payment is {payment.status}; nothing was captured.",
                                   {"payment_id": payment.id, "status": payment.status})
                processed, pending, left = refundable(session, payment)
                wanted = left if amount is None else amount
                if wanted <= 0 or wanted > left:
                    raise Conflict("refund_exceeds_captured",
                                   "That is more than is left to refund on this payment.", {
                                       "payment_id": payment.id, "requested": amount,
                                       "captured_amount": payment.captured_amount,
                                       "refunded_amount": processed,
                                       "pending_amount": pending, "refundable_amount": left})
                refund = Refund(id=new_refund_id(), payment_id=payment.id, amount=wanted,
                                currency=payment.currency, reason=reason,
                                status=REFUND_PENDING, idempotency_key=idempotency_key,
                                requested_by=actor.get("user_id") or None,
                                requested_by_role=actor["role"])
                session.add(refund)
                session.flush()
                attempt_id = self._claim(session, refund)
                refund_id = refund.id
        except IntegrityError:
            # The same key raced in on another payment; the unique index kept it to one.
            raise Conflict("idempotency_key_reused",
                           "This Idempotency-Key was used for another refund.", {})
        self._call(refund_id, attempt_id)
        return self.view(refund_id)

    def view(self, refund_id):
        with self.transaction() as session:
            return presenters.refund(session.get(Refund, refund_id))

    def _claim(self, session, refund):
        attempt = PaymentAttempt(payment_id=refund.payment_id, refund_id=refund.id,
                                 kind=REFUND, status=STARTED)
        refund.lease_until = utcnow() + timedelta(seconds=self.settings.lease_s)
        session.add(attempt)
        session.flush()
        return attempt.id

    def _call(self, refund_id, attempt_id):
        with self.transaction() as session:
            refund = session.get(Refund, refund_id)
            payment = find(session, payment_id=refund.payment_id)
            args = (payment.provider_ref, refund.amount, f"refund:{refund.id}")
        timed = call_with_timeout(self.settings.provider_timeout_s, self.provider.refund, *args)
        with self.transaction() as session:
            payment = find(session, payment_id=refund.payment_id, lock=True)
            refund = session.get(Refund, refund_id, with_for_update=True)
            record_attempt(session, attempt_id, timed)
            refund.lease_until = None
            if refund.status != REFUND_PENDING:
                return
            if isinstance(timed.error, ProviderError):
                refund.status, refund.failure_code = REFUND_FAILED, timed.error.code
                log.warning("refund %s refused by the provider: %s", refund.id,
                            timed.error.code)
                return
            if timed.error is not None:
                return  # still pending: the sweeper asks again with the same key
            refund.status = REFUND_PROCESSED
            refund.provider_ref = timed.result.provider_ref
            refund.processed_at = utcnow()
            payment.refunded_amount += refund.amount
            self.outbox.add(session, events.REFUND_PROCESSED,
                            events.refund_processed(payment, refund))

    def resume(self, refund_id):
        """The sweeper: a pending refund whose call timed out or whose process died."""
        with self.transaction() as session:
            refund = session.scalars(sa.select(Refund).where(Refund.id == refund_id)
                                     .with_for_update(skip_locked=True)).first()
            if refund is None or refund.status != REFUND_PENDING or (
                    refund.lease_until is not None and refund.lease_until > utcnow()):
                return "skipped"
            session.execute(sa.update(PaymentAttempt).where(
                PaymentAttempt.refund_id == refund.id, PaymentAttempt.status == STARTED)
                .values(status=TIMEOUT, error="provider_timeout", finished_at=utcnow(),
                        error_message="abandoned: the process died during the call"))
            failures = session.scalar(sa.select(sa.func.count()).select_from(PaymentAttempt)
                                      .where(PaymentAttempt.refund_id == refund.id,
                                             PaymentAttempt.status.in_((TIMEOUT, ERROR))))
            if failures > self.settings.max_provider_retries:
                refund.status, refund.failure_code = REFUND_FAILED, "provider_timeout"
                log.error("refund %s failed: the provider never answered", refund.id)
                return "failed"
            attempt_id = self._claim(session, refund)
        self._call(refund_id, attempt_id)
        return "retried"
