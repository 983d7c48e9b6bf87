"""Engagement event use cases: record, change and delete a hui, workshop or meeting; attach its summary.

An event belongs to one published version of a consultation (the draft it was about). Its "what we heard"
summary is stored by `submissions.services.record_submission` as a submission with the channel "hui", credited
to the event's host (never to the staff member who typed it) and linked to the event by `event_id`, so it is
moderated, indexed, counted, reported, exported and kept private like every other submission. Editing the
summary changes that one submission; at most one exists per event (a unique column, and the event row locked
while it is written). An event that has a summary is not deleted: the summary is a contribution the reports
count, so deleting it is refused with a message (a moderator may hide the summary instead).

Each function takes the session first, flushes and never commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.drafts.parsing import NZ
from app.exceptions import ConflictError, InputError, PermissionDeniedError
from app.models import (
    Channel,
    Consent,
    EngagementEvent,
    EventKind,
    Role,
    Submission,
    SubmitterKind,
    User,
    Version,
    audit,
)
from app.models.base import utcnow
from app.submissions.services import MAX_BODY_CHARS, Credit, SubmissionInput, record_submission
from app.text import TextError, clean_text

EARLIEST_DAY = dt.date(2000, 1, 1)
FUTURE_DAYS = 2 * 366  # an event may be planned up to about two years ahead
MAX_ATTENDEES = 1_000_000
MAX_PLACE_CHARS = 200
MAX_HOST_CHARS = 200
MAX_REGION_CHARS = 100

__all__ = [
    "EventInput",
    "SummaryInput",
    "create_event",
    "delete_event",
    "save_summary",
    "update_event",
]


class EventInputError(InputError):
    """What was typed about an event cannot be accepted; `field` names the form field."""

    code = "event-invalid"


class EventStateError(ConflictError):
    """The event is in a state that does not allow this (it has a summary, it has not happened yet)."""

    code = "event-state"


class NotEventStaffError(PermissionDeniedError):
    code = "not-event-staff"


@dataclass
class EventInput:
    """What the event form sent, before it is checked."""

    kind: str | None = EventKind.HUI.value
    held_on: str | None = None
    place: str | None = None
    region: str | None = None
    host: str | None = None
    attendees: str | None = None


@dataclass
class SummaryInput:
    body: str | None = None
    consent: str | None = Consent.NAMED.value


@dataclass(frozen=True)
class _Checked:
    kind: str
    held_on: dt.date
    place: str
    region: str | None
    host: str
    attendees: int | None


_LABEL_PLACE = _l("the place")
_LABEL_REGION = _l("the region")
_LABEL_HOST = _l("the host")
_LABEL_SUMMARY = _l("what we heard")
KINDS = frozenset(k.value for k in EventKind)


def require_event_staff(staff: User) -> None:
    if not staff.has_role(Role.INTAKE, Role.DRAFTER):
        raise NotEventStaffError(_("Only intake staff and drafters record engagement events."))


def today() -> dt.date:
    return utcnow().astimezone(NZ).date()


def _text(value: str | None, what: str, limit: int, field: str, required: bool = True) -> str:
    try:
        return clean_text(value, what, limit, field=field, required=required, multiline=False, name=True)
    except TextError as error:
        raise EventInputError(error.message, field) from None


def parse_held_on(raw: str | None) -> dt.date:
    text = (raw or "").strip()
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise EventInputError(
            _("Enter the day of the event as YYYY-MM-DD, for example 2026-03-14."), "held_on"
        )
    latest = today() + dt.timedelta(days=FUTURE_DAYS)
    if not EARLIEST_DAY <= day <= latest:
        raise EventInputError(
            _(
                "Enter a day between %(first)s and %(last)s.",
                first=EARLIEST_DAY.isoformat(),
                last=latest.isoformat(),
            ),
            "held_on",
        )
    return day


def parse_attendees(raw: str | None) -> int | None:
    text = (raw or "").strip().replace(",", "")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 7 or int(text) > MAX_ATTENDEES:
        raise EventInputError(
            _("Enter how many people came as a whole number from 0 to 1,000,000, or leave it empty."),
            "attendees",
        )
    return int(text)


def _check(data: EventInput) -> _Checked:
    if data.kind not in KINDS:
        raise EventInputError(_("Choose what kind of event it was."), "kind")
    return _Checked(
        kind=str(data.kind),
        held_on=parse_held_on(data.held_on),
        place=_text(data.place, _LABEL_PLACE, MAX_PLACE_CHARS, "place"),
        region=_text(data.region, _LABEL_REGION, MAX_REGION_CHARS, "region", required=False) or None,
        host=_text(data.host, _LABEL_HOST, MAX_HOST_CHARS, "host"),
        attendees=parse_attendees(data.attendees),
    )


def _require_public(version: Version) -> None:
    if not version.is_public:
        raise EventStateError(_("Events are recorded on published versions only."))


def create_event(session: Session, staff: User, version: Version, data: EventInput) -> EngagementEvent:
    """Record a hui, workshop or meeting held on `version` (listed publicly on its pages)."""
    require_event_staff(staff)
    _require_public(version)
    checked = _check(data)
    event = EngagementEvent(
        version=version,
        kind=checked.kind,
        held_on=checked.held_on,
        place=checked.place,
        region=checked.region,
        host=checked.host,
        attendees=checked.attendees,
        created_by_id=staff.id,
    )
    session.add(event)
    session.flush()
    audit(session, staff, "event.created", "event", event.id, checked.place)
    session.flush()
    return event


def event_summary(session: Session, event: EngagementEvent) -> Submission | None:
    """The event's "what we heard" submission, read afresh (not from a relationship loaded earlier)."""
    return session.scalar(select(Submission).where(Submission.event_id == event.id))


def update_event(session: Session, staff: User, event: EngagementEvent, data: EventInput) -> EngagementEvent:
    """Change an event; its summary follows (credited to the host, received the day of the event)."""
    require_event_staff(staff)
    checked = _check(data)
    summary = event_summary(session, event)
    if summary is not None and checked.held_on > today():
        raise EventStateError(_("This event has a summary, so its day cannot be in the future."))
    event.kind = checked.kind
    event.held_on = checked.held_on
    event.place = checked.place
    event.region = checked.region
    event.host = checked.host
    event.attendees = checked.attendees
    event.edited_at = utcnow()
    if summary is not None:
        summary.submitter_name = checked.host
        summary.region = checked.region
        summary.received_on = checked.held_on
    audit(session, staff, "event.edited", "event", event.id, checked.place)
    session.flush()
    return event


def delete_event(session: Session, staff: User, event: EngagementEvent) -> None:
    """Delete an event that has no summary (one with a summary is a counted contribution: refused)."""
    require_event_staff(staff)
    summary = event_summary(session, event)
    if summary is not None:
        raise EventStateError(
            _(
                "This event has a “what we heard” summary (%(number)s), which counts as a submission, so the event cannot be deleted. A moderator can hide the summary instead.",
                number=summary.tracking_number,
            )
        )
    audit(session, staff, "event.deleted", "event", event.id, event.place)
    session.delete(event)
    session.flush()


def _lock(session: Session, event: EngagementEvent) -> None:
    """Hold the event's row until the commit, so two summaries of it are never written at once.

    PostgreSQL waits here for a concurrent save of the same event; SQLite has one writer at a time, and the
    unique `submissions.event_id` refuses a second summary that slips through.
    """
    session.execute(select(EngagementEvent.id).where(EngagementEvent.id == event.id).with_for_update()).one()


def save_summary(session: Session, staff: User, event: EngagementEvent, data: SummaryInput) -> Submission:
    """Write (or rewrite) the event's "what we heard" summary: the one submission credited to its host."""
    require_event_staff(staff)
    _lock(session, event)
    if event.held_on > today():
        raise EventStateError(_("Add what we heard once the event has taken place."))
    try:
        body = clean_text(data.body, _LABEL_SUMMARY, MAX_BODY_CHARS, field="body")
    except TextError as error:
        raise EventInputError(error.message, "body") from None
    existing = event_summary(session, event)
    submission_input = SubmissionInput(
        body=body,
        consent=data.consent,
        submitter_kind=SubmitterKind.INDIVIDUAL.value,
        region=event.region,
    )
    credit = Credit(
        name=event.host,
        channel=Channel.HUI.value,
        received_on=event.held_on,
        entered_by_id=staff.id if existing is None else existing.entered_by_id,
    )
    try:
        with session.begin_nested():
            submission = record_submission(
                session,
                event.version,
                submission_input,
                credit,
                send=True,
                existing=existing,
                actor=staff,
                mail_receipt=False,  # the host has no address here; staff send the tracking number themselves
            )
            submission.event = event
            session.flush()
    except IntegrityError:
        raise EventStateError(
            _("A summary of this event was saved by someone else just now. Open it again to change it.")
        ) from None
    return submission
