"""Fraud scoring: a pure function from what we know about a payment to a risk score 0–100.

    score(Signals(...), FraudRules(...)) → Assessment(score, reasons, hold)

No database, no Redis: risk_signals.py gathers the Signals, this decides. The weights are set
so that one signal alone holds a payment only when it is strong on its own (many payments from
one address, a very large amount); a keen shopper paying often with their own card scores 70
and goes through unless something else is off too. Each rule that fires
adds points and a reason {code, points, detail}; the score is their sum, capped at 100. A score
at or above `hold_score` (PAYMENTS.fraud_hold_score) holds the payment for a staff review.

Rules (points):
  ip_velocity          more payments from one IP in the window than twice the per-user limit
                       — many accounts behind one address is how stolen cards get tested (80)
  card_velocity        one card (by fingerprint) used more often than the limit (40)
  user_velocity        one shopper paying more often than the limit (30)
  recent_declines      the shopper or the card was declined 3+ times in the window (30)
  large_amount         at or above the currency's large-amount line (80)
  amount_above_usual   10× the shopper's average completed payment (50), or 5× (30), once
                       there are at least 3 to average
  first_purchase_high  no completed payment yet and a quarter of the large-amount line (20)
  country_mismatch     billing country differs from shipping country (25)
"""
from dataclasses import dataclass, field

# Minor units: ₹2,00,000 or 3,000.00 in the other currencies.
LARGE_AMOUNTS = {"INR": 20_000_000, "USD": 300_000, "EUR": 300_000, "GBP": 250_000}
MIN_HISTORY = 3
DECLINES_TO_FLAG = 3


@dataclass(frozen=True)
class FraudRules:
    hold_score: int = 75
    window_s: float = 60.0
    velocity_limit: int = 5            # per user and per card; per IP it is twice this
    large_amounts: dict = field(default_factory=lambda: dict(LARGE_AMOUNTS))

    @classmethod
    def from_settings(cls, settings):
        return cls(hold_score=settings.fraud_hold_score, window_s=settings.fraud_window_s,
                   velocity_limit=settings.fraud_velocity_limit)


@dataclass(frozen=True)
class Signals:
    """What is known when a payment starts. Counts include the payment being scored."""
    amount: int
    currency: str
    payments_by_user: int = 1          # in the window
    payments_by_card: int = 1
    payments_by_ip: int = 0            # 0 when the IP is unknown or trusted
    declines_by_user: int = 0          # in the window
    declines_by_card: int = 0
    completed_count: int = 0           # the shopper's completed payments, all time
    completed_average: float | None = None   # their mean amount, in this currency
    billing_country: str | None = None
    shipping_country: str | None = None


@dataclass(frozen=True)
class Assessment:
    score: int
    reasons: list
    hold: bool

    @property
    def decision(self):
        return "hold" if self.hold else "allow"


def _reason(code, points, detail):
    return {"code": code, "points": points, "detail": detail}


def score(signals, rules=FraudRules()):
    reasons = []
    limit = rules.velocity_limit
    window = f"in {rules.window_s:g}s"

    if signals.payments_by_ip > 2 * limit:
        reasons.append(_reason("ip_velocity", 80,
                               f"{signals.payments_by_ip} payments from this IP {window}"))
    if signals.payments_by_card > limit:
        reasons.append(_reason("card_velocity", 40,
                               f"{signals.payments_by_card} payments with this card {window}"))
    if signals.payments_by_user > limit:
        reasons.append(_reason("user_velocity", 30,
                               f"{signals.payments_by_user} payments by this shopper {window}"))
    declines = max(signals.declines_by_user, signals.declines_by_card)
    if declines >= DECLINES_TO_FLAG:
        reasons.append(_reason("recent_declines", 30, f"{declines} declines {window}"))

    large = rules.large_amounts.get(signals.currency)
    if large and signals.amount >= large:
        reasons.append(_reason("large_amount", 80,
                               f"{signals.amount} {signals.currency} is at or above {large}"))
    average = signals.completed_average
    if signals.completed_count >= MIN_HISTORY and average:
        ratio = signals.amount / average
        if ratio >= 10:
            reasons.append(_reason("amount_above_usual", 50,
                                   f"{ratio:.1f}× the shopper's average of {average:.0f}"))
        elif ratio >= 5:
            reasons.append(_reason("amount_above_usual", 30,
                                   f"{ratio:.1f}× the shopper's average of {average:.0f}"))
    elif signals.completed_count == 0 and large and signals.amount >= large // 4:
        reasons.append(_reason("first_purchase_high", 20,
                               "a first purchase for a large amount"))

    billing, shipping = signals.billing_country, signals.shipping_country
    if billing and shipping and billing.upper() != shipping.upper():
        reasons.append(_reason("country_mismatch", 25,
                               f"billing in {billing.upper()}, shipping to {shipping.upper()}"))

    total = min(100, sum(r["points"] for r in reasons))
    return Assessment(score=total, reasons=reasons, hold=total >= rules.hold_score)
