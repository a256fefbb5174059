"""What fraud scoring needs to know about a payment, read from payments_db.

Velocity is a sliding window over the payments table itself (indexed by user, IP and card
fingerprint with created_at), so every replica sees the same counts and nothing else has to
be kept in step. Counts include the payment being scored (it is flushed first).
"""
import ipaddress
from datetime import timedelta

import sqlalchemy as sa

from services.payments import fraud
from services.payments.models import FraudFlag, Payment
from services.payments.status import S

# Failure codes that mean the card itself was refused (not our own timeouts or reviews).
DECLINE_CODES = ("card_declined", "insufficient_funds", "expired_card", "authentication_failed",
                 "invalid_number")


def trusted_networks(spec):
    """"127.0.0.0/8,::1/128" → networks; bad entries are ignored."""
    networks = []
    for part in str(spec or "").split(","):
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            continue
    return networks


def is_trusted(ip, networks):
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False  # not an address we can place: count it like any other
    return any(address in network for network in networks)


def _count(session, *where):
    return session.scalar(sa.select(sa.func.count()).select_from(Payment).where(*where)) or 0


def gather(session, payment, rules, now, trusted=()):
    since = now - timedelta(seconds=rules.window_s)
    recent = Payment.created_at >= since
    declined = sa.and_(Payment.status == S.FAILED.value,
                       Payment.failure_code.in_(DECLINE_CODES), Payment.failed_at >= since)
    by_card = Payment.card_fingerprint == payment.card_fingerprint
    history = session.execute(
        sa.select(sa.func.count(), sa.func.avg(Payment.amount)).where(
            Payment.user_id == payment.user_id, Payment.status == S.COMPLETED.value,
            Payment.currency == payment.currency)).one()
    return fraud.Signals(
        amount=payment.amount,
        currency=payment.currency,
        payments_by_user=_count(session, Payment.user_id == payment.user_id, recent),
        payments_by_card=(_count(session, by_card, recent) if payment.card_fingerprint else 1),
        payments_by_ip=(_count(session, Payment.ip_address == payment.ip_address, recent)
                        if payment.ip_address and not is_trusted(payment.ip_address, trusted)
                        else 0),
        declines_by_user=_count(session, Payment.user_id == payment.user_id, declined),
        declines_by_card=(_count(session, by_card, declined) if payment.card_fingerprint
                          else 0),
        completed_count=history[0] or 0,
        completed_average=float(history[1]) if history[1] is not None else None,
        billing_country=payment.billing_country,
        shipping_country=payment.shipping_country,
    )


def assess(session, payment, rules, now, trusted=()):
    """Score the payment and write its fraud_flags row; returns (assessment, flag)."""
    assessment = fraud.score(gather(session, payment, rules, now, trusted), rules)
    flag = FraudFlag(payment_id=payment.id, user_id=payment.user_id,
                     risk_score=assessment.score, reasons=assessment.reasons,
                     decision=assessment.decision)
    session.add(flag)
    session.flush()
    return assessment, flag
