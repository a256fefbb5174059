"""The audit log (audit_db): every event from every stream, once, never changed."""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    event_id: Mapped[str] = mapped_column(UUID(as_uuid=False), nullable=False, unique=True)
    event_type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    source: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    stream: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    entry_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    occurred_at = mapped_column(sa.DateTime(timezone=True), nullable=False)
    correlation_id: Mapped[str | None] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    data = mapped_column(JSONB, nullable=False)
    recorded_at = mapped_column(sa.DateTime(timezone=True), nullable=False,
                                server_default=sa.func.now())
