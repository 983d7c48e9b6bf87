"""The audit log: who did what, when and why. Rows are only ever added."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, created_at, intpk
from app.models.users import User


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_target", "target_type", "target_id"),)

    id: Mapped[intpk]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[created_at]

    actor: Mapped[User | None] = relationship(lazy="joined")


def audit(
    session: Any,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int | None,
    reason: str = "",
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits with the change it records)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None and actor.id is not None else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        details=details,
    )
    session.add(event)
    return event


__all__ = ["AuditEvent", "audit"]
