"""The sweeper: every PAYMENTS.sweep_interval_s, on every replica, finish what is stuck.

- A payment waiting on our own provider call (initiated, pending, authorized) with no call in
  flight (its lease is over) and untouched for a sweep interval: its last authorise or capture
  timed out, or the process died mid-call. Retry it (Charges.resume), up to
  PAYMENTS.max_provider_retries retries; then it fails with `provider_timeout`.
- A payment held for review longer than PAYMENTS.review_deadline_s fails
  (`fraud_review_timeout`).
- A challenge nobody answered within PAYMENTS.action_deadline_s fails
  (`authentication_timeout`).
- A refund still pending after its lease: ask the provider again (same idempotency key).

Each row is taken with FOR UPDATE SKIP LOCKED and re-checked, so replicas share the work and
nothing is done twice. Retries run side by side (a green thread each), so one slow provider
call does not hold up the rest of the sweep.
"""
import logging
from datetime import timedelta

import eventlet
import sqlalchemy as sa

from services.payments.lookups import utcnow
from services.payments.models import REFUND_PENDING, Payment, Refund
from services.payments.status import AWAITING_PROVIDER, S

log = logging.getLogger(__name__)

PARALLEL = 4  # each holds a database connection while it works


class Sweeper:
    def __init__(self, transaction, charges, refunds, settings):
        self.transaction = transaction
        self.charges = charges
        self.refunds = refunds
        self.settings = settings

    def due(self):
        """{step name: [ids]} of what this sweep should look at."""
        now = utcnow()
        quiet = now - timedelta(seconds=self.settings.sweep_interval_s)
        free = sa.or_(Payment.lease_until.is_(None), Payment.lease_until < now)
        batch = self.settings.sweep_batch
        with self.transaction() as session:
            def ids(query):
                return list(session.scalars(query.limit(batch)))
            return {
                "resume": ids(sa.select(Payment.id).where(
                    Payment.status.in_([s.value for s in AWAITING_PROVIDER]), free,
                    Payment.updated_at < quiet).order_by(Payment.updated_at)),
                "expire_hold": ids(sa.select(Payment.id).where(
                    Payment.status == S.HELD.value, Payment.held_at < now - timedelta(
                        seconds=self.settings.review_deadline_s)).order_by(Payment.held_at)),
                "expire_challenge": ids(sa.select(Payment.id).where(
                    Payment.status == S.REQUIRES_ACTION.value, free,
                    Payment.updated_at < now - timedelta(
                        seconds=self.settings.action_deadline_s)).order_by(Payment.updated_at)),
                "refund": ids(sa.select(Refund.id).where(
                    Refund.status == REFUND_PENDING,
                    sa.or_(Refund.lease_until.is_(None), Refund.lease_until < now))
                    .order_by(Refund.created_at)),
            }

    def sweep(self):
        """One pass; returns {step: {outcome: count}} for the log."""
        steps = {"resume": self.charges.resume, "expire_hold": self.charges.expire_hold,
                 "expire_challenge": self.charges.expire_challenge,
                 "refund": self.refunds.resume}
        pool = eventlet.GreenPool(PARALLEL)
        jobs = []
        for name, ids in self.due().items():
            for id_ in ids:
                jobs.append((name, pool.spawn(self._step, steps[name], id_)))
        summary = {}
        for name, job in jobs:
            outcome = job.wait()
            summary.setdefault(name, {}).setdefault(outcome, 0)
            summary[name][outcome] += 1
        return summary

    @staticmethod
    def _step(step, id_):
        try:
            return step(id_)
        except Exception:  # one bad row must not stop the sweep; the next one tries again
            log.exception("sweeper step %s on %s failed", step.__name__, id_)
            return "error"
