"""Whole-version submissions, the consultation questions they answer, and their attachments."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, created_at, intpk
from app.models.comments import new_tracking_number
from app.models.policies import Version
from app.models.users import User


class SubmissionState(enum.StrEnum):
    DRAFT = "draft"  # saved to finish later: only its author sees it
    PUBLISHED = "published"
    HELD = "held"
    HIDDEN = "hidden"
    WITHDRAWN = "withdrawn"


class Consent(enum.StrEnum):
    """What the person said we may do with what they wrote."""

    NAMED = "named"  # publish with my name
    ANONYMOUS = "anonymous"  # publish without my name
    PRIVATE = "private"  # do not publish: the drafting team still reads it


class SubmitterKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    ORGANISATION = "organisation"


class OrganisationKind(enum.StrEnum):
    IWI = "iwi"  # iwi, hapū or Māori organisation
    COMMUNITY = "community"  # community group or NGO
    BUSINESS = "business"
    GOVERNMENT = "government"
    ACADEMIC = "academic"
    OTHER = "other"


class Channel(enum.StrEnum):
    ONLINE = "online"
    POST = "post"
    EMAIL = "email"
    HUI = "hui"
    PHONE = "phone"


class EventKind(enum.StrEnum):
    HUI = "hui"
    WORKSHOP = "workshop"
    PUBLIC_MEETING = "public_meeting"
    OTHER = "other"


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    AGREE = "agree"  # the five-point agree scale
    TEXT = "text"


class Question(Base):
    """A consultation question on a version, set by drafters."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(12))
    prompt: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(default=False)
    # Optionally about one section or clause of the version (shown there as well).
    section_key: Mapped[str | None] = mapped_column(String(64))
    clause_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[created_at]


class EngagementEvent(Base):
    """A hui, workshop or meeting held for a consultation on one of its published versions.

    Its "what we heard" summary is a `Submission` (channel "hui", `event_id` set) credited to the event's host,
    so it is moderated, indexed, counted, reported and exported like every other contribution.
    """

    __tablename__ = "engagement_events"
    __table_args__ = (
        CheckConstraint("attendees IS NULL OR attendees >= 0", name="attendees_not_negative"),
        Index("ix_engagement_events_version_id_held_on", "version_id", "held_on"),
    )

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default=EventKind.HUI.value)
    held_on: Mapped[dt.date]
    place: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    host: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[int | None]  # how many people came, when known
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[created_at]
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    version: Mapped[Version] = relationship()
    summary: Mapped[Submission | None] = relationship(back_populates="event", uselist=False)


class Submission(Base):
    """What someone says about a version as a whole, online or through staff (post, email, hui, phone)."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_version_state_id", "version_id", "state", "id"),
        Index("ix_submissions_user_id_version_id", "user_id", "version_id"),
        # The duplicate check looks a text up within one version.
        Index("ix_submissions_version_id_fingerprint_hash", "version_id", "fingerprint_hash"),
    )

    id: Mapped[intpk]
    tracking_number: Mapped[str] = mapped_column(String(16), unique=True, default=new_tracking_number)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    # The account it is credited to; null for an offline submitter without one, or after account deletion.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The staff member who entered an offline submission (never who it is credited to).
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    submitter_name: Mapped[str] = mapped_column(String(200), default="")
    submitter_contact: Mapped[str | None] = mapped_column(String(320))
    submitter_kind: Mapped[str] = mapped_column(String(16), default=SubmitterKind.INDIVIDUAL.value)
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    organisation_kind: Mapped[str | None] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(100))
    organisation_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    organisation_confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    consent: Mapped[str] = mapped_column(String(12), default=Consent.NAMED.value)
    channel: Mapped[str] = mapped_column(String(12), default=Channel.ONLINE.value)
    received_on: Mapped[dt.date | None]
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    section_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    fingerprint_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12), default=SubmissionState.DRAFT.value)
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    moderated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    moderated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[created_at]
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The engagement event this is the "what we heard" summary of (one summary per event).
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagement_events.id", ondelete="RESTRICT"), unique=True
    )

    version: Mapped[Version] = relationship()
    event: Mapped[EngagementEvent | None] = relationship(back_populates="summary")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    answers: Mapped[list[Answer]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", passive_deletes=True
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="submission",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Attachment.id",
    )

    redactions: Mapped[list[Redaction]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Redaction.id"
    )

    @property
    def is_organisation(self) -> bool:
        return self.submitter_kind == SubmitterKind.ORGANISATION.value

    @property
    def is_draft(self) -> bool:
        return self.state == SubmissionState.DRAFT.value

    @property
    def may_publish(self) -> bool:
        """Whether the person agreed to publish it at all."""
        return self.consent != Consent.PRIVATE.value


class Answer(Base):
    """One submission's answer to one question: chosen options, or free text."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("submission_id", "question_id"),)

    id: Mapped[intpk]
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str | None] = mapped_column(Text)
    # Kept with the redactions (one per row below), so a list of answers loads none unless one has some.
    redaction_count: Mapped[int] = mapped_column(default=0, server_default="0")

    submission: Mapped[Submission] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    redactions: Mapped[list[Redaction]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Redaction.id"
    )

    def as_value(self) -> Any:
        return self.text if self.text is not None else list(self.choices)


class Attachment(Base):
    """A file sent with a submission, stored outside the static folder under its content hash."""

    __tablename__ = "attachments"

    id: Mapped[intpk]
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))  # pdf, docx, odt, txt: decided by the content
    size_bytes: Mapped[int]
    page_count: Mapped[int] = mapped_column(default=0)
    text: Mapped[str | None] = mapped_column(Text)  # null until extracted
    extraction: Mapped[str] = mapped_column(String(12), default="pending")  # pending, done, failed
    is_original_scan: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]

    submission: Mapped[Submission] = relationship(back_populates="attachments")


class RedactionReason(enum.StrEnum):
    PERSONAL_DETAILS = "personal_details"  # about someone else: names, addresses, phone numbers
    DEFAMATORY = "defamatory"
    ABUSIVE = "abusive"
    CONFIDENTIAL = "confidential"  # commercially or legally confidential
    OTHER = "other"


class Redaction(Base):
    """A passage the public sees as "[redacted: reason]" (staff see the original): of a submission's text, a
    clause comment's, or a free-text answer's; exactly one of the three."""

    __tablename__ = "redactions"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN submission_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN comment_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN answer_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
    )

    id: Mapped[intpk]
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    passage: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(20))
    redacted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[created_at]


class ImportRunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportRun(Base):
    """One table import started from the web: its file until the job has read it, progress, and the outcome.

    The job (app/intake/jobs.py) checks the rows with progress committed as it goes, then stores them all and
    the outcome in one transaction; the page the staff member is sent to reads this row.
    """

    __tablename__ = "import_runs"

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    # The uploaded bytes, kept only until the job has finished with them (then emptied).
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    dry_run: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    status: Mapped[str] = mapped_column(String(12), default=ImportRunStatus.QUEUED.value)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_checked: Mapped[int] = mapped_column(default=0)
    # The outcome: the file's own refusal, or each bad row as [line, column, message], the first rows, and
    # what was stored as [id, tracking number, name] (the first 200).
    error: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    preview: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Beaten by the job as it goes; a run unfinished with no beat for a while was lost (`app.jobs.RowJob.sweep`).
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    version: Mapped[Version] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in (ImportRunStatus.DONE.value, ImportRunStatus.FAILED.value)

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return int(100 * self.rows_checked / self.rows_total) if self.rows_total else 0
