"""Policies, their versions, and the sections and clauses of each version."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, created_at, intpk


class VersionStatus(enum.StrEnum):
    WORKING = "working"
    PUBLISHED = "published"
    FINAL = "final"


class ModerationMode(enum.StrEnum):
    POST = "post"
    PRE = "pre"


class Policy(Base):
    __tablename__ = "policies"

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    moderation: Mapped[str] = mapped_column(String(10), default=ModerationMode.POST.value)
    created_at: Mapped[created_at]

    versions: Mapped[list[Version]] = relationship(
        back_populates="policy", order_by="Version.position", viewonly=True
    )


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("policy_id", "slug"),
        UniqueConstraint("policy_id", "label"),
        UniqueConstraint("policy_id", "position"),
    )

    id: Mapped[intpk]
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=VersionStatus.WORKING.value)
    published_on: Mapped[dt.date | None]
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    change_note: Mapped[str] = mapped_column(Text, default="")
    # Deferred: pages rarely need the whole source, and it is the biggest column by far.
    source_markdown: Mapped[str] = mapped_column(Text, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    comments_open_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    comments_close_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    word_count: Mapped[int] = mapped_column(default=0)
    # Bumped on every save of a working version; edit forms carry it for optimistic locking.
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    # Show the results of the consultation questions while the period is open (else only once it closed).
    question_results_live: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    policy: Mapped[Policy] = relationship(lazy="joined", innerjoin=True)
    parent: Mapped[Version | None] = relationship(remote_side="Version.id")
    sections: Mapped[list[Section]] = relationship(
        back_populates="version",
        order_by="Section.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def is_public(self) -> bool:
        """Published and final versions are public; working ones only drafters see."""
        return self.status != VersionStatus.WORKING.value

    @property
    def is_final(self) -> bool:
        return self.status == VersionStatus.FINAL.value

    def accepts_comments_at(self, moment: dt.datetime) -> bool:
        """Whether the comment period is open at `moment`."""
        return (
            self.is_public
            and self.comments_open_at is not None
            and self.comments_close_at is not None
            and self.comments_open_at <= moment < self.comments_close_at
        )


class Section(Base):
    __tablename__ = "sections"
    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        UniqueConstraint("version_id", "position"),
    )

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    number: Mapped[str] = mapped_column(String(20))
    heading: Mapped[str] = mapped_column(String(500))

    version: Mapped[Version] = relationship(back_populates="sections")
    clauses: Mapped[list[Clause]] = relationship(
        back_populates="section",
        order_by="Clause.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Clause(Base):
    __tablename__ = "clauses"
    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        Index("ix_clauses_section_id_position", "section_id", "position"),
    )

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    number: Mapped[str] = mapped_column(String(20))
    markdown: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # Kept by the comment services, so a section page never counts rows to show it.
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")

    section: Mapped[Section] = relationship(back_populates="clauses")
