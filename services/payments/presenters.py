"""Plain dicts the payments service returns over RPC. Never card numbers, never CVCs; a
payment's provider token stays inside the service (a saved method's token is shown to its
owner, who pays with it)."""
from kit.presenters import iso


def payment(p):
    """What the contract promises (payment_id, order_ref, status, failure_code, next_action)
    plus what a shopper or the orders service may want to show."""
    return {
        "payment_id": p.id,
        "order_ref": p.order_ref,
        "order_id": p.order_id,
        "user_id": p.user_id,
        "amount": p.amount,
        "currency": p.currency,
        "status": p.status,
        "failure_code": p.failure_code,
        "next_action": p.next_action,
        "method": {"type": "card", "brand": p.card_brand, "last4": p.card_last4,
                   "payment_method_id": p.payment_method_id},
        "captured_amount": p.captured_amount,
        "refunded_amount": p.refunded_amount,
        "refundable_amount": p.captured_amount - p.refunded_amount,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
        "completed_at": iso(p.completed_at),
        "failed_at": iso(p.failed_at),
        "cancelled_at": iso(p.cancelled_at),
    }


def refund(r, replayed=False):
    return {
        "refund_id": r.id,
        "payment_id": r.payment_id,
        "amount": r.amount,
        "currency": r.currency,
        "status": r.status,
        "reason": r.reason,
        "failure_code": r.failure_code,
        "idempotency_key": r.idempotency_key,
        "created_at": iso(r.created_at),
        "processed_at": iso(r.processed_at),
        "replayed": replayed,
    }


def attempt(a):
    return {
        "id": a.id,
        "kind": a.kind,
        "status": a.status,
        "provider_ref": a.provider_ref,
        "refund_id": a.refund_id,
        "error": a.error,
        "error_message": a.error_message,
        "latency_ms": a.latency_ms,
        "started_at": iso(a.started_at),
        "finished_at": iso(a.finished_at),
    }


def fraud_flag(f):
    if f is None:
        return None
    return {
        "id": f.id,
        "risk_score": f.risk_score,
        "reasons": f.reasons,
        "decision": f.decision,
        "reviewed_by": f.reviewed_by,
        "reviewed_at": iso(f.reviewed_at),
        "created_at": iso(f.created_at),
    }


def method(m):
    return {
        "id": m.id,
        "token": m.provider_token,
        "brand": m.brand,
        "last4": m.last4,
        "exp_month": m.exp_month,
        "exp_year": m.exp_year,
        "created_at": iso(m.created_at),
    }


def tokenized(card, method_row=None):
    result = {"token": card.token, "brand": card.brand, "last4": card.last4,
              "exp_month": card.exp_month, "exp_year": card.exp_year}
    if method_row is not None:
        result["payment_method_id"] = method_row.id
    return result


def saved(m):
    """A saved method as tokenize_card answered when it was saved."""
    return {"token": m.provider_token, "brand": m.brand, "last4": m.last4,
            "exp_month": m.exp_month, "exp_year": m.exp_year, "payment_method_id": m.id}
