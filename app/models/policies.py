"""Policies, their versions, and the sections and clauses of each version."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, created_at, intpk

if TYPE_CHECKING:
    from app.models.users import User


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
    # How the consultation describes itself (issue 13): who runs it, who to ask, why, and what happens next.
    agency: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    why: Mapped[str] = mapped_column(Text, default="", server_default="")
    next_steps: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Made by `korero setup` for newcomers to try; never made in production, and labelled on every page.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # How many people sign a publication off: 1 (the drafter, after the confirmation page) or 2 (the drafter
    # who asks, and a second drafter or admin who reviews the compare and approves).
    publish_signoffs: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[created_at]

    versions: Mapped[list[Version]] = relationship(
        back_populates="policy", order_by="Version.position", viewonly=True
    )
    documents: Mapped[list[PolicyDocument]] = relationship(
        back_populates="policy", order_by="PolicyDocument.position", viewonly=True
    )


class PolicyDocument(Base):
    """A supporting document of a consultation: a link, or a file uploaded by its drafters (only downloaded)."""

    __tablename__ = "policy_documents"
    __table_args__ = (UniqueConstraint("policy_id", "position"),)

    id: Mapped[intpk]
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    filename: Mapped[str | None] = mapped_column(String(200))
    media_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(default=0, server_default="0")
    sha256: Mapped[str | None] = mapped_column(String(64))
    # Deferred: the list of documents never needs the bytes, only a download does.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[created_at]

    policy: Mapped[Policy] = relationship(back_populates="documents")

    @property
    def is_file(self) -> bool:
        return self.url is None


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
    # A superseded version stops taking comments unless its drafters leave its period open on purpose.
    open_when_superseded: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Bumped on every save of a working version; edit forms carry it for optimistic locking.
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    # Show the results of the consultation questions while the period is open (else only once it closed).
    question_results_live: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A drafter asked for this working version to be published (publish with review); cleared by a discard.
    publication_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    publication_requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # When a later final version took over from this one (it went back to `published`).
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    policy: Mapped[Policy] = relationship(lazy="joined", innerjoin=True)
    parent: Mapped[Version | None] = relationship(remote_side="Version.id")
    publication_requested_by: Mapped[User | None] = relationship(foreign_keys=[publication_requested_by_id])
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

    @property
    def superseded_by(self) -> Version | None:
        """The policy's newest public version when it is later than this one (this one is then superseded)."""
        if not self.is_public:
            return None
        later = [v for v in self.policy.versions if v.is_public and v.position > self.position]
        return later[-1] if later else None

    def period_is_open_at(self, moment: dt.datetime) -> bool:
        """Whether `moment` falls in the comment period (whatever else stops comments)."""
        return (
            self.comments_open_at is not None
            and self.comments_close_at is not None
            and self.comments_open_at <= moment < self.comments_close_at
        )

    def accepts_comments_at(self, moment: dt.datetime) -> bool:
        """Whether the version takes comments at `moment`: public, in its period, and current (or left open)."""
        return (
            self.is_public
            and self.period_is_open_at(moment)
            and (self.open_when_superseded or self.superseded_by is None)
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
    # The heading in te reo Māori, shown beside the English one (from `## Heading {mi: …}` in the draft).
    heading_mi: Mapped[str | None] = mapped_column(String(300))

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


class PublicationApproval(Base):
    """A second person's approval of a working version's publication, for the revision they reviewed."""

    __tablename__ = "publication_approvals"
    __table_args__ = (UniqueConstraint("version_id", "user_id", "revision"),)

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The version's revision when approved: an edit after the approval voids it.
    revision: Mapped[int]
    created_at: Mapped[created_at]

    user: Mapped[User | None] = relationship()
