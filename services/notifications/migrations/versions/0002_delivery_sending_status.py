"""email_logs/sms_logs: a `sending` status while an attempt is in flight

Without it, a row being sent still said `failed` (its previous outcome) with a next attempt at
the lease's end, which looked like a wrong backoff to anyone reading the logs mid-attempt.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _statuses(table, statuses):
    op.drop_constraint(f"ck_{table}_status", table, type_="check")
    op.create_check_constraint(f"ck_{table}_status", table,
                               f"status IN ({', '.join(repr(s) for s in statuses)})")


def upgrade():
    for table in ("email_logs", "sms_logs"):
        _statuses(table, ("queued", "sending", "sent", "failed", "skipped"))


def downgrade():
    for table in ("email_logs", "sms_logs"):
        op.execute(f"UPDATE {table} SET status = 'failed' WHERE status = 'sending'")
        _statuses(table, ("queued", "sent", "failed", "skipped"))
