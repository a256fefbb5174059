"""The audit service: `audit_consumer` reads all nine streams into an append-only log.

Idempotent by event id: a redelivered entry hits the unique index and is skipped.
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from kit import sidedoor
from kit.db import Database
from kit.schemas import load
from kit.streams import stream_handler
from kit.topology import ALL_STREAMS
from kit.rpc import rpc
from services.audit.models import AuditEntry
from services.audit.schemas import AuditQuerySchema


def entry_dict(row):
    return {
        "id": row.id, "event_id": row.event_id, "type": row.event_type, "source": row.source,
        "stream": row.stream, "entry_id": row.entry_id,
        "occurred_at": row.occurred_at.isoformat(), "correlation_id": row.correlation_id,
        "version": row.version, "data": row.data, "recorded_at": row.recorded_at.isoformat(),
    }


class AuditService(sidedoor.SideDoor):
    name = "audit"

    db = Database()

    @stream_handler(*ALL_STREAMS, group="audit_consumer")
    def record(self, event):
        with self.db.transaction() as session:
            session.execute(insert(AuditEntry).values(
                event_id=event["id"], event_type=event["type"], source=event["source"],
                stream=event["stream"], entry_id=event["entry_id"],
                occurred_at=event["occurred_at"], correlation_id=event["correlation_id"] or None,
                version=event["version"], data=event["data"],
            ).on_conflict_do_nothing(index_elements=["event_id"]))

    @rpc
    def query(self, **filters):
        """Events by type, source, time range [since, until) and correlation id, oldest first."""
        f = load(AuditQuerySchema(), filters)
        query = sa.select(AuditEntry)
        for column, value in ((AuditEntry.event_type, f["type"]), (AuditEntry.source, f["source"]),
                              (AuditEntry.correlation_id, f["correlation_id"])):
            if value is not None:
                query = query.where(column == value)
        if f["since"] is not None:
            query = query.where(AuditEntry.occurred_at >= f["since"])
        if f["until"] is not None:
            query = query.where(AuditEntry.occurred_at < f["until"])
        if f["after_id"] is not None:
            query = query.where(AuditEntry.id > f["after_id"])
        rows = self.db.session.scalars(query.order_by(AuditEntry.id).limit(f["limit"])).all()
        return [entry_dict(r) for r in rows]

    @rpc
    def get_event(self, event_id):
        row = self.db.session.scalar(sa.select(AuditEntry).where(AuditEntry.event_id == event_id))
        return entry_dict(row) if row is not None else None
