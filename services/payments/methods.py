"""Cards: tokenizing, and the shopper's saved cards.

A card goes straight to the provider's vault (provider.tokenize); what comes back is a token
and what can be shown (brand, last4, expiry). A saved method keeps exactly that and the owner:
never the number, never the CVC. Paying with a saved token is refused for anyone but its owner.

Saving with an Idempotency-Key: a transaction-scoped advisory lock on (user, key) makes a
concurrent duplicate wait, and the key → method id mapping is remembered in Redis for a day,
so a retry returns the method the first request saved instead of saving the card again.
"""
import logging
import uuid

import sqlalchemy as sa

from kit.errors import NotFound
from services.payments import presenters
from services.payments.models import PaymentMethod
from services.payments.provider import ProviderError, call_with_timeout
from services.payments.provider_calls import card_refused, provider_unavailable

log = logging.getLogger(__name__)

KEY_TTL_S = 86400


def new_method_id():
    return f"pm_{uuid.uuid4().hex}"


def idempotency_key_name(user_id, key):
    return f"payments:method_key:{user_id}:{key}"


def method_not_found(method_id):
    return NotFound("payment_method_not_found", f"No saved card {method_id}.",
                    {"method_id": method_id})


class Methods:
    def __init__(self, transaction, provider, redis, settings):
        self.transaction = transaction
        self.provider = provider
        self.redis = redis
        self.settings = settings

    def _tokenize(self, user_id, card, reusable):
        timed = call_with_timeout(self.settings.provider_timeout_s, self.provider.tokenize,
                                  card, user_id, reusable)
        if isinstance(timed.error, ProviderError):
            raise card_refused(timed.error, ("card",))
        if timed.error is not None:
            log.warning("tokenize for user %s failed: %r", user_id, timed.error)
            raise provider_unavailable()
        return timed.result

    def tokenize(self, user_id, card, save=False, idempotency_key=None):
        """{token, brand, last4, exp_month, exp_year, payment_method_id (when saved)}."""
        if not save:
            return presenters.tokenized(self._tokenize(user_id, card, reusable=False))
        with self.transaction() as session:
            remembered = None
            if idempotency_key:
                session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                                {"k": idempotency_key_name(user_id, idempotency_key)})
                remembered = self.redis.get(idempotency_key_name(user_id, idempotency_key))
            if remembered:
                row = session.get(PaymentMethod, remembered)
                if row is not None and row.user_id == user_id:
                    return {**presenters.saved(row), "replayed": True}
            card_details = self._tokenize(user_id, card, reusable=True)
            row = PaymentMethod(id=new_method_id(), user_id=user_id,
                                provider_token=card_details.token, brand=card_details.brand,
                                last4=card_details.last4, exp_month=card_details.exp_month,
                                exp_year=card_details.exp_year)
            session.add(row)
            session.flush()
            result = presenters.tokenized(card_details, row)
        if idempotency_key:
            self.redis.set(idempotency_key_name(user_id, idempotency_key), row.id, ex=KEY_TTL_S)
        return result

    def list(self, user_id):
        with self.transaction() as session:
            rows = session.scalars(sa.select(PaymentMethod).where(
                PaymentMethod.user_id == user_id).order_by(PaymentMethod.created_at.desc(),
                                                           PaymentMethod.id)).all()
            return [presenters.method(m) for m in rows]

    def delete(self, user_id, method_id):
        with self.transaction() as session:
            row = session.scalars(sa.select(PaymentMethod).where(
                PaymentMethod.id == method_id, PaymentMethod.user_id == user_id)
                .with_for_update()).first()
            if row is None:
                raise method_not_found(method_id)
            token = row.provider_token
            session.delete(row)
        timed = call_with_timeout(self.settings.provider_timeout_s, self.provider.detach, token)
        if timed.error is not None:  # our side forgot it; the vault entry is orphaned, not used
            log.warning("detaching %s from the provider failed: %r", method_id, timed.error)
        return {"id": method_id, "deleted": True}

