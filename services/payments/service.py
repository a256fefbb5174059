"""The payments service: charging cards for orders, saved cards, refunds, fraud review,
the provider's webhooks, and a sweeper for what got stuck.

Entry points only. The contract with orders is docs/checkout-saga.md; the rules live in
charges.py (the Charges class: reading, cancel, review, the sweeper's steps) with
initiation.py, provider_calls.py (claim, call, record; authorise/capture/void), webhooks.py
and lookups.py; refunds.py,
methods.py (tokenize and saved cards), fraud.py (the pure risk score) with risk_signals.py,
sweeper.py; the card gateway is provider.py (interface) and sandbox.py; events.py lists every
event and its data. Every state change commits with its event through the outbox.

Actors are {user_id, role} as the gateway knows them; services acting for themselves pass
{"role": "system"}.

Error codes: NotFound payment_not_found, payment_method_not_found · Conflict order_ref_reused,
payment_captured, payment_in_progress, payment_not_held, payment_not_captured,
refund_exceeds_captured, idempotency_key_reused, webhook_replayed, illegal_transition,
provider_unavailable · Unauthorized bad_signature · Forbidden staff_only · BadRequest
malformed_webhook · ValidationFailed validation_failed, card_invalid, card_expired
(details.fields names each field).
"""
import json
import logging


from kit import service_base
from kit.errors import BadRequest
from kit.redis_client import Redis
from kit.rpc import rpc
from kit.schemas import load
from kit.timers import settings_timer
from services.payments import signatures
from services.payments.charges import Charges, require_staff
from services.payments.dependencies import Provider
from services.payments.methods import Methods
from services.payments.refunds import Refunds
from services.payments.schemas import (ActorSchema, InitiateSchema, MethodSchema,
                                       OrderRefSchema, PaymentIdSchema, RefundSchema,
                                       ReviewSchema, TokenizeSchema, UserSchema,
                                       WebhookEventSchema)
from services.payments.settings import PaymentSettings
from services.payments.sweeper import Sweeper

log = logging.getLogger(__name__)


class PaymentsService(service_base.SqlService):
    name = "payments"

    # db, outbox: service_base.SqlService
    redis = Redis()
    provider = Provider()
    settings_class = PaymentSettings

    @property
    def charges(self):
        return Charges(self.db.transaction, self.outbox, self.provider, self.settings)

    @property
    def refunds(self):
        return Refunds(self.db.transaction, self.outbox, self.provider, self.settings)

    @property
    def methods(self):
        return Methods(self.db.transaction, self.provider, self.redis, self.settings)

    # --- cards ------------------------------------------------------------------------------

    @rpc
    def tokenize_card(self, user_id, card, save=False, idempotency_key=None):
        """The card into the provider's vault → {token, brand, last4, exp_month, exp_year,
        payment_method_id (when save)}. Only the token and what can be shown are kept."""
        args = load(TokenizeSchema(), {"user_id": user_id, "card": card, "save": save,
                                       "idempotency_key": idempotency_key})
        return self.methods.tokenize(**args)

    @rpc
    def list_methods(self, user_id):
        """The shopper's saved cards, newest first: {id, token, brand, last4, exp_*}."""
        return self.methods.list(load(UserSchema(), {"user_id": user_id})["user_id"])

    @rpc
    def delete_method(self, user_id, method_id):
        args = load(MethodSchema(), {"user_id": user_id, "method_id": method_id})
        return self.methods.delete(**args)

    # --- payments ---------------------------------------------------------------------------

    @rpc
    def initiate_payment(self, order_ref, order_id, user_id, amount, currency, payment_method,
                         ip=None, shipping_address=None, billing_address=None):
        """Charge the order's total → {payment_id, order_ref, status, failure_code,
        next_action, …}. Idempotent per order_ref. status: completed, failed, held,
        requires_action, pending (the provider is slow; the sweeper retries)."""
        request = load(InitiateSchema(), {
            "order_ref": order_ref, "order_id": order_id, "user_id": user_id, "amount": amount,
            "currency": currency, "payment_method": payment_method, "ip": ip,
            "shipping_address": shipping_address, "billing_address": billing_address})
        return self.charges.initiate(request)

    @rpc
    def get_payment(self, actor, payment_id):
        """A payment and its refunds (staff: also attempts and fraud flag). Someone else's
        payment is NotFound, exactly like a missing one."""
        actor = load(ActorSchema(), actor)
        payment_id = load(PaymentIdSchema(), {"payment_id": payment_id})["payment_id"]
        return self.charges.details(actor, payment_id)

    @rpc
    def get_payment_by_order(self, order_ref):
        order_ref = load(OrderRefSchema(), {"order_ref": order_ref})["order_ref"]
        return self.charges.by_order(order_ref)

    @rpc
    def cancel_payment(self, order_ref):
        """Void it unless captured. Idempotent; Conflict payment_captured once completed."""
        order_ref = load(OrderRefSchema(), {"order_ref": order_ref})["order_ref"]
        return self.charges.cancel(order_ref)

    @rpc
    def refund(self, actor, payment_id, amount=None, reason=None, idempotency_key=None):
        """Full (amount None) or partial; never above captured minus refunded (Conflict
        refund_exceeds_captured). Idempotent per key: a repeat returns the first refund."""
        actor = load(ActorSchema(), actor)
        args = load(RefundSchema(), {"payment_id": payment_id, "amount": amount,
                                     "reason": reason, "idempotency_key": idempotency_key})
        return self.refunds.request(actor, **args)

    @rpc
    def review_payment(self, actor, payment_id, decision, note=None):
        """Staff decide a payment held for fraud: approve (it is charged now) or reject."""
        actor = load(ActorSchema(), actor)
        require_staff(actor)
        args = load(ReviewSchema(), {"payment_id": payment_id, "decision": decision,
                                     "note": note})
        if args["note"]:
            log.info("review of %s by %s: %s", args["payment_id"], actor["user_id"],
                     args["note"])
        return self.charges.review(actor, args["payment_id"], args["decision"])

    # --- the provider's webhooks ------------------------------------------------------------

    @rpc
    def handle_webhook(self, body_text, signature_header):
        """A provider event as the gateway received it (raw body, Aarya-Signature header).
        Unauthorized bad_signature / Conflict webhook_replayed change nothing."""
        settings = self.settings
        signatures.verify(settings.webhook_secret, body_text, signature_header,
                          settings.webhook_tolerance_s)
        try:
            event = json.loads(body_text)
        except ValueError:
            raise BadRequest("malformed_webhook", "The webhook body is not JSON.")
        event = load(WebhookEventSchema(), event)
        return self.charges.apply_webhook(event)

    # --- timers -----------------------------------------------------------------------------

    @settings_timer(PaymentSettings, "sweep_interval_s")
    def sweep(self):
        summary = Sweeper(self.db.transaction, self.charges, self.refunds,
                          self.settings).sweep()
        if summary:
            log.info("payments sweep: %s", summary)

    @settings_timer(PaymentSettings, "webhook_poll_s")
    def deliver_sandbox_webhooks(self):
        """The sandbox provider's outgoing webhooks (a real provider sends its own)."""
        deliver = getattr(self.provider, "deliver_due_webhooks", None)
        if deliver is not None:
            deliver()
