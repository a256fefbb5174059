"""The fraud rules on their own: a pure function from signals to a score, no platform needed."""
from services.payments.fraud import FraudRules, Signals, score
from services.payments.risk_signals import is_trusted, trusted_networks

RULES = FraudRules(hold_score=75, window_s=60, velocity_limit=5)


def codes(assessment):
    return [r["code"] for r in assessment.reasons]


def test_an_ordinary_payment_scores_zero_and_goes_through():
    result = score(Signals(amount=149900, currency="INR", completed_count=4,
                           completed_average=120000.0, billing_country="IN",
                           shipping_country="IN"), RULES)
    assert (result.score, result.reasons, result.hold, result.decision) == (0, [], False,
                                                                             "allow")


def test_many_payments_from_one_address_hold_the_payment():
    assert not score(Signals(amount=1000, currency="INR", payments_by_ip=10), RULES).hold
    held = score(Signals(amount=1000, currency="INR", payments_by_ip=11), RULES)
    assert held.hold and codes(held) == ["ip_velocity"] and held.score == 80


def test_a_huge_amount_holds_the_payment_on_its_own():
    held = score(Signals(amount=20_000_000, currency="INR", completed_count=10,
                         completed_average=19_000_000.0), RULES)
    assert held.hold and codes(held) == ["large_amount"]
    assert not score(Signals(amount=299_999, currency="USD", completed_count=10,
                             completed_average=250_000.0), RULES).hold


def test_a_keen_shopper_with_their_own_card_is_flagged_but_not_held():
    keen = score(Signals(amount=5000, currency="INR", payments_by_user=6, payments_by_card=6),
                 RULES)
    assert codes(keen) == ["card_velocity", "user_velocity"] and keen.score == 70
    assert not keen.hold
    # ...unless something else is off as well.
    shifty = score(Signals(amount=5000, currency="INR", payments_by_user=6, payments_by_card=6,
                           billing_country="GB", shipping_country="IN"), RULES)
    assert shifty.hold and "country_mismatch" in codes(shifty)


def test_an_amount_far_above_the_shoppers_usual_counts_once_there_is_a_history():
    usual = dict(currency="INR", completed_count=5, completed_average=100_000.0)
    assert codes(score(Signals(amount=400_000, **usual), RULES)) == []
    five_times = score(Signals(amount=500_000, **usual), RULES)
    ten_times = score(Signals(amount=1_000_000, **usual), RULES)
    assert (five_times.reasons[0]["points"], ten_times.reasons[0]["points"]) == (30, 50)
    assert codes(score(Signals(amount=1_000_000, currency="INR", completed_count=2,
                               completed_average=10_000.0), RULES)) == []


def test_first_purchases_declines_and_mismatches_add_up_and_cap_at_100():
    first = score(Signals(amount=5_000_000, currency="INR", completed_count=0), RULES)
    assert codes(first) == ["first_purchase_high"] and first.score == 20
    everything = score(Signals(amount=30_000_000, currency="INR", payments_by_ip=20,
                               payments_by_card=9, payments_by_user=9, declines_by_card=4,
                               billing_country="us", shipping_country="IN"), RULES)
    assert everything.score == 100 and everything.hold
    assert set(codes(everything)) == {"ip_velocity", "card_velocity", "user_velocity",
                                      "recent_declines", "large_amount", "first_purchase_high",
                                      "country_mismatch"}
    assert all({"code", "points", "detail"} == set(r) for r in everything.reasons)


def test_the_hold_threshold_comes_from_the_rules():
    signals = Signals(amount=5000, currency="INR", payments_by_user=6, payments_by_card=6)
    assert score(signals, FraudRules(hold_score=70)).hold
    assert not score(signals, FraudRules(hold_score=71)).hold


def test_our_own_hosts_are_not_counted_as_one_busy_address():
    trusted = trusted_networks("127.0.0.0/8, ::1/128, not-a-network")
    assert is_trusted("127.0.0.1", trusted) and is_trusted("::1", trusted)
    assert not is_trusted("203.0.113.9", trusted) and not is_trusted("unknown", trusted)
