"""The sandbox card gateway: behaves like a real one, with no network and no real money.

Everything here stands on the provider's side of the line. Its state lives in Redis under
`sandbox:` (AOF on, so it survives restarts like a provider's would):
  sandbox:vault:{token}      the card behind a token: number, expiry, brand, fingerprint,
                             customer, and whether the CVC checked out (the CVC itself is never
                             kept). Single-use tokens expire after a day; saved ones stay.
  sandbox:charge:{ref}       a charge: status, amount, captured, refunded, our reference
  sandbox:idem:{key}         the answer given to an idempotency key (a retry gets it again)
  sandbox:webhooks           due webhooks (sorted set: unix time → event id)
  sandbox:webhook:{id}       one webhook: body, attempts, status, last signature sent

Cards (docs/checkout-saga.md): 4242 4242 4242 4242 succeeds; 4000 0000 0000 0002 is declined
(card_declined); …9995 insufficient_funds; …3220 asks for a challenge (requires_action) and later
POSTs a signed webhook to PAYMENTS.webhook_url (authorization.succeeded, or
authorization.failed / authentication_failed when the CVC was 000); …0119 answers after three
times PAYMENTS.provider_timeout_s, so the caller's timeout always fires first. Any other number
passing the Luhn check succeeds; an expired card is declined (expired_card). Fingerprints of
the published test numbers are per customer (see `fingerprint`).

Webhooks are scheduled in Redis and sent by `deliver_due_webhooks`, which the payments service
runs on a timer: a payments process that dies before the delivery does not lose it, the next
one (or another replica) sends it. Delivery is at least once: an answer other than 2xx or
409 webhook_replayed (already processed) is retried with backoff.
"""
import hashlib
import json
import logging
import re
import time
import uuid
from datetime import datetime, timezone

import eventlet
import requests

from kit.retry import delay_after
from services.payments import signatures
from services.payments.provider import (AUTHORIZED, CAPTURED, DECLINED, REFUNDED,
                                        REQUIRES_ACTION, VOIDED, CardDetails, Outcome,
                                        PaymentProvider, ProviderError)

log = logging.getLogger(__name__)

SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
NO_FUNDS_CARD = "4000000000009995"
CHALLENGE_CARD = "4000000000003220"
SLOW_CARD = "4000000000000119"
FAILING_CVC = "000"  # on the challenge card: the shopper fails authentication
TEST_CARDS = frozenset({SUCCESS_CARD, DECLINED_CARD, NO_FUNDS_CARD, CHALLENGE_CARD, SLOW_CARD})

SINGLE_USE_TTL_S = 86400
IDEMPOTENCY_TTL_S = 86400
DELIVERED_KEPT_S = 86400
WEBHOOKS = "sandbox:webhooks"
MAX_DELIVERY_ATTEMPTS = 15
DELIVERY_LEASE_S = 30
DELIVERY_TIMEOUT_S = 10
DELIVERY_BATCH = 20

# Claim due webhooks: push each one's score past a lease, so no other replica sends it meanwhile
# (and a sender that dies leaves it to be picked up again once the lease is over).
CLAIM_SCRIPT = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return due
"""
# Refund atomically: never more than captured minus refunded. Returns the new refunded total,
# or -1 if the charge cannot take it.
REFUND_SCRIPT = """
local captured = tonumber(redis.call('HGET', KEYS[1], 'captured') or '0')
local refunded = tonumber(redis.call('HGET', KEYS[1], 'refunded') or '0')
if refunded + tonumber(ARGV[1]) > captured then return -1 end
return redis.call('HINCRBY', KEYS[1], 'refunded', ARGV[1])
"""


def vault_key(token):
    return f"sandbox:vault:{token}"


def charge_key(provider_ref):
    return f"sandbox:charge:{provider_ref}"


def webhook_key(event_id):
    return f"sandbox:webhook:{event_id}"


def luhn_ok(number):
    total = 0
    for i, d in enumerate(int(c) for c in reversed(number)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def brand_of(number):
    if number.startswith("4"):
        return "visa"
    if re.match(r"^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))", number):
        return "mastercard"
    if re.match(r"^3[47]", number):
        return "amex"
    if re.match(r"^(60|65|81|82|508)", number):
        return "rupay"
    return "unknown"


def fingerprint(number, customer):
    """A provider's fingerprint is a keyed hash of the number: the same card, the same
    fingerprint, whatever token it came in under. The published test numbers are typed in by
    every tester, so each customer's use of one counts as a card of its own (otherwise every
    test shopper would share one card and trip each other's velocity checks)."""
    seed = f"{number}:{customer}" if number in TEST_CARDS else number
    return hashlib.sha256(f"sandbox-fp:{seed}".encode()).hexdigest()[:32]


def _expired(exp_month, exp_year, now=None):
    now = now or datetime.now(timezone.utc)
    return (int(exp_year), int(exp_month)) < (now.year, now.month)


def _outcome_json(outcome):
    return json.dumps({"status": outcome.status, "provider_ref": outcome.provider_ref,
                       "code": outcome.code, "message": outcome.message,
                       "next_action": outcome.next_action, "amount": outcome.amount})


def _outcome_from(text):
    return Outcome(**json.loads(text))


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def __init__(self, redis, settings, http=None):
        self.redis = redis
        self.settings = settings
        self.http = http
        self._claim = redis.register_script(CLAIM_SCRIPT)
        self._refund = redis.register_script(REFUND_SCRIPT)

    # --- the vault --------------------------------------------------------------------------

    def tokenize(self, card, customer, reusable=False):
        number = re.sub(r"[ -]", "", str(card.get("number", "")))
        if not re.fullmatch(r"[0-9]{12,19}", number) or not luhn_ok(number):
            raise ProviderError("invalid_number", "The card number is not valid.")
        if _expired(card["exp_month"], card["exp_year"]):
            raise ProviderError("expired_card", "The card has expired.")
        token = f"tok_{uuid.uuid4().hex}"
        details = CardDetails(
            token=token, brand=brand_of(number), last4=number[-4:],
            exp_month=int(card["exp_month"]), exp_year=int(card["exp_year"]),
            fingerprint=fingerprint(number, customer))
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(vault_key(token), mapping={
            "number": number, "exp_month": details.exp_month, "exp_year": details.exp_year,
            "brand": details.brand, "last4": details.last4, "fingerprint": details.fingerprint,
            "customer": str(customer),
            "cvc_check": "fail" if str(card.get("cvc")) == FAILING_CVC else "pass"})
        if not reusable:
            pipe.expire(vault_key(token), SINGLE_USE_TTL_S)
        pipe.execute()
        return details

    def _card(self, token, customer):
        card = self.redis.hgetall(vault_key(token)) if isinstance(token, str) else {}
        if not card or card.get("customer") != str(customer):
            raise ProviderError("invalid_token", "No such card token for this customer.")
        return card

    def card_details(self, token, customer):
        card = self._card(token, customer)
        return CardDetails(token=token, brand=card["brand"], last4=card["last4"],
                           exp_month=int(card["exp_month"]), exp_year=int(card["exp_year"]),
                           fingerprint=card["fingerprint"])

    def detach(self, token):
        self.redis.delete(vault_key(token))

    # --- money ------------------------------------------------------------------------------

    def _replay(self, idempotency_key):
        seen = self.redis.get(f"sandbox:idem:{idempotency_key}")
        return _outcome_from(seen) if seen else None

    def _remember(self, idempotency_key, outcome):
        self.redis.set(f"sandbox:idem:{idempotency_key}", _outcome_json(outcome),
                       ex=IDEMPOTENCY_TTL_S)
        return outcome

    def authorize(self, token, amount, currency, reference, idempotency_key, customer):
        card = self._card(token, customer)
        if card["number"] == SLOW_CARD:
            eventlet.sleep(self.settings.provider_timeout_s * 3)  # the caller gives up first
        seen = self._replay(idempotency_key)
        if seen is not None:
            return seen
        ref = f"ch_{uuid.uuid4().hex}"
        number = card["number"]
        status, code, next_action = AUTHORIZED, None, None
        if _expired(card["exp_month"], card["exp_year"]):
            status, code = DECLINED, "expired_card"
        elif number == DECLINED_CARD:
            status, code = DECLINED, "card_declined"
        elif number == NO_FUNDS_CARD:
            status, code = DECLINED, "insufficient_funds"
        elif number == CHALLENGE_CARD:
            status = REQUIRES_ACTION
            next_action = {"type": "three_d_secure",
                           "url": f"https://sandbox.aarya.invalid/3ds/{ref}",
                           "message": "The bank asks the shopper to confirm this payment."}
        self.redis.hset(charge_key(ref), mapping={
            "status": status, "amount": amount, "currency": currency, "captured": 0,
            "refunded": 0, "reference": reference, "token": token, "decline_code": code or ""})
        if status == REQUIRES_ACTION:
            passed = card.get("cvc_check") != "fail"
            self._schedule_webhook(
                "authorization.succeeded" if passed else "authorization.failed",
                {"provider_ref": ref, "reference": reference, "amount": amount,
                 "currency": currency,
                 "failure_code": None if passed else "authentication_failed"}, ref)
        outcome = Outcome(status=status, provider_ref=ref, code=code, next_action=next_action,
                          amount=amount,
                          message={"card_declined": "The card was declined.",
                                   "insufficient_funds": "The card has insufficient funds.",
                                   "expired_card": "The card has expired."}.get(code, ""))
        return self._remember(idempotency_key, outcome)

    def _charge(self, provider_ref):
        charge = self.redis.hgetall(charge_key(provider_ref)) if provider_ref else {}
        if not charge:
            raise ProviderError("no_such_charge", f"No charge {provider_ref}.")
        return charge

    def capture(self, provider_ref, amount, idempotency_key):
        seen = self._replay(idempotency_key)
        if seen is not None:
            return seen
        charge = self._charge(provider_ref)
        if charge["status"] == CAPTURED:
            return Outcome(status=CAPTURED, provider_ref=provider_ref,
                           amount=int(charge["captured"]))
        if charge["status"] != AUTHORIZED:
            raise ProviderError("charge_not_capturable",
                                f"A {charge['status']} charge cannot be captured.")
        if amount > int(charge["amount"]):
            raise ProviderError("amount_too_large", "More than was authorised.")
        self.redis.hset(charge_key(provider_ref), mapping={"status": CAPTURED,
                                                            "captured": amount})
        return self._remember(idempotency_key, Outcome(status=CAPTURED,
                                                       provider_ref=provider_ref, amount=amount))

    def void(self, provider_ref, idempotency_key):
        charge = self._charge(provider_ref)
        if charge["status"] == CAPTURED:
            raise ProviderError("charge_captured", "A captured charge is refunded, not voided.")
        if charge["status"] in (AUTHORIZED, REQUIRES_ACTION):
            self.redis.hset(charge_key(provider_ref), "status", VOIDED)
        return Outcome(status=VOIDED, provider_ref=provider_ref)

    def refund(self, provider_ref, amount, idempotency_key):
        seen = self._replay(idempotency_key)
        if seen is not None:
            return seen
        charge = self._charge(provider_ref)
        if charge["status"] != CAPTURED:
            raise ProviderError("charge_not_captured", "Only a captured charge can be refunded.")
        if self._refund(keys=[charge_key(provider_ref)], args=[amount]) < 0:
            raise ProviderError("amount_too_large", "More than is left to refund.")
        return self._remember(idempotency_key, Outcome(
            status=REFUNDED, provider_ref=f"re_{uuid.uuid4().hex}", amount=amount))

    # --- webhooks ---------------------------------------------------------------------------

    def _schedule_webhook(self, event_type, data, provider_ref):
        event_id = f"evt_{uuid.uuid4().hex}"
        due = time.time() + self.settings.webhook_delay_s
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(webhook_key(event_id), mapping={
            "type": event_type, "data": json.dumps(data), "provider_ref": provider_ref,
            "attempts": 0, "status": "scheduled"})
        pipe.hset(charge_key(provider_ref), "webhook_id", event_id)
        pipe.zadd(WEBHOOKS, {event_id: due})
        pipe.execute()
        return event_id

    def _settle_challenge(self, webhook):
        """The shopper has now answered the challenge: the charge moves on the provider's
        side before it says so. False if the charge was voided meanwhile (nothing to say)."""
        key = charge_key(webhook["provider_ref"])
        status = self.redis.hget(key, "status")
        if status == VOIDED:
            return False
        if status == REQUIRES_ACTION:
            passed = webhook["type"] == "authorization.succeeded"
            self.redis.hset(key, mapping={"status": AUTHORIZED if passed else DECLINED,
                                          "decline_code": "" if passed else
                                          "authentication_failed"})
        return True

    def _body(self, event_id, webhook):
        # The body is fixed at the first attempt; each attempt signs it with its own time.
        if webhook.get("body"):
            return webhook["body"]
        body = json.dumps({"id": event_id, "type": webhook["type"], "created": int(time.time()),
                           "data": json.loads(webhook["data"])}, separators=(",", ":"))
        self.redis.hset(webhook_key(event_id), "body", body)
        return body

    def deliver_due_webhooks(self, now=None):
        """Send every webhook that is due; returns {event_id: "delivered"|"retry"|"dropped"}."""
        now = time.time() if now is None else now
        claimed = self._claim(keys=[WEBHOOKS],
                              args=[now, now + DELIVERY_LEASE_S, DELIVERY_BATCH])
        return {event_id: self._deliver(event_id) for event_id in claimed}

    def _deliver(self, event_id):
        webhook = self.redis.hgetall(webhook_key(event_id))
        if not webhook or webhook.get("status") in ("delivered", "dropped"):
            self.redis.zrem(WEBHOOKS, event_id)
            return "dropped"
        if not self._settle_challenge(webhook):
            self._finish(event_id, "dropped")
            return "dropped"
        body = self._body(event_id, webhook)
        header = signatures.sign(self.settings.webhook_secret, body)
        attempts = int(webhook.get("attempts") or 0) + 1
        self.redis.hset(webhook_key(event_id), mapping={"attempts": attempts,
                                                        "signature": header})
        try:
            response = self.http.post(
                self.settings.webhook_url, data=body.encode(), timeout=DELIVERY_TIMEOUT_S,
                headers={"Content-Type": "application/json", signatures.HEADER: header})
            answer, status = response.status_code, f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            response, answer, status = None, None, repr(exc)[:200]
        self.redis.hset(webhook_key(event_id), "last_response", status)
        if answer is not None and (200 <= answer < 300 or _already_had_it(response)):
            self._finish(event_id, "delivered")
            return "delivered"
        if attempts >= MAX_DELIVERY_ATTEMPTS:
            log.error("sandbox webhook %s given up after %d attempts: %s", event_id, attempts,
                      status)
            self._finish(event_id, "dropped")
            return "dropped"
        backoff = delay_after(attempts, start=2, cap=300)  # 2, 4, 8 … 300 s
        log.warning("sandbox webhook %s not delivered (%s); retry in %gs", event_id, status,
                    backoff)
        self.redis.zadd(WEBHOOKS, {event_id: time.time() + backoff})
        return "retry"

    def _finish(self, event_id, status):
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(webhook_key(event_id), mapping={"status": status,
                                                  "finished_at": int(time.time())})
        pipe.expire(webhook_key(event_id), DELIVERED_KEPT_S)
        pipe.zrem(WEBHOOKS, event_id)
        pipe.execute()


def _already_had_it(response):
    """409 webhook_replayed: a redelivery after a lost answer, as good as delivered. Any other
    refusal (409 payment_in_progress, 5xx, 401) is sent again later."""
    if response.status_code != 409:
        return False
    try:
        return response.json()["error"]["code"] == "webhook_replayed"
    except (ValueError, KeyError, TypeError):
        return False


def http_session():
    """Deliveries go straight to the webhook URL, never through a proxy from the environment."""
    session = requests.Session()
    session.trust_env = False
    return session
