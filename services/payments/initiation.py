"""Initiating a payment for an order (docs/checkout-saga.md step 2): replay, card, fraud
check, then the first provider call."""
import logging

import sqlalchemy as sa

from kit.errors import Conflict, NotFound
from services.payments import events, presenters, risk_signals
from services.payments.lookups import find, lock_order_ref, new_payment_id, utcnow
from services.payments.models import AUTHORIZE, Payment, PaymentMethod
from services.payments.provider import ProviderError
from services.payments.provider_calls import ProviderCalls, card_refused, provider_unavailable
from services.payments.status import S

log = logging.getLogger(__name__)


class Initiation(ProviderCalls):
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


def _country(address):
    country = (address or {}).get("country")
    return country.upper() if country else None
