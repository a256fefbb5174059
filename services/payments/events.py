"""The events the payments service emits (through its outbox) and the shape of each `data`.

Every payment event carries the contract's fields (docs/checkout-saga.md, step 2):
    {payment_id, order_id, order_ref, user_id, amount, currency, status, reason}
`amount` is the payment's amount and `reason` is null unless there is one, except where noted.

payment.initiated   status initiated
payment.completed   status completed; + captured_amount, card {brand, last4}
payment.failed      status failed; reason = the failure code (card_declined,
                    insufficient_funds, expired_card, authentication_failed, provider_timeout,
                    fraud_rejected, fraud_review_timeout, authentication_timeout, invalid_token…)
payment.cancelled   status cancelled; reason = why (cancelled: the order was cancelled)
fraud.detected      status held; reason "fraud_review"; + risk_score, reasons [{code, points,
                    detail}], decision "hold", fraud_flag_id
refund.processed    status processed; here `amount` is the REFUNDED amount (what orders adds
                    up); + refund_id, payment_amount, refunded_total, captured_amount, reason
                    (the refund's reason)
"""
PAYMENT_INITIATED = "payment.initiated"
PAYMENT_COMPLETED = "payment.completed"
PAYMENT_FAILED = "payment.failed"
PAYMENT_CANCELLED = "payment.cancelled"
FRAUD_DETECTED = "fraud.detected"
REFUND_PROCESSED = "refund.processed"


def payment_data(payment, reason=None):
    return {
        "payment_id": payment.id,
        "order_id": payment.order_id,
        "order_ref": payment.order_ref,
        "user_id": payment.user_id,
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
        "reason": reason,
    }


def payment_completed(payment):
    return {**payment_data(payment), "captured_amount": payment.captured_amount,
            "card": {"brand": payment.card_brand, "last4": payment.card_last4}}


def fraud_detected(payment, flag):
    return {**payment_data(payment, "fraud_review"), "risk_score": flag.risk_score,
            "reasons": flag.reasons, "decision": flag.decision, "fraud_flag_id": flag.id}


def refund_processed(payment, refund):
    return {**payment_data(payment, refund.reason), "status": refund.status,
            "amount": refund.amount, "payment_amount": payment.amount,
            "refund_id": refund.id, "refunded_total": payment.refunded_amount,
            "captured_amount": payment.captured_amount}
