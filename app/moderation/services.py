"""Moderation use cases: report, hold, approve, hide, restore, suspend; the queue and the public log.

Every function takes the session first, flushes, never commits, and records an audit event with the change.
Which action may be taken on a comment in which state is written once, in `TRANSITIONS`; every action on a
comment asks `next_state` before it changes anything. Refusals are domain errors (`app.exceptions`): a step
not allowed to this person is 403, a comment or account in the wrong state 409, an unusable reason 422.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from app.analysis.indexing import reindex
from app.auth.services import end_all_sessions
from app.caching import tags_for, touch
from app.comments.counts import published_changed
from app.comments.services import refresh_counts
from app.exceptions import ConflictError, DomainError, InputError, PermissionDeniedError
from app.models import (
    AuditEvent,
    Clause,
    Comment,
    CommentReport,
    CommentState,
    ModerationMode,
    Policy,
    Role,
    Section,
    User,
    Version,
    audit,
)
from app.models.base import utcnow
from app.notify import events as notify_events
from app.text import clean_text

QUEUE_PAGE_SIZE = 50
LOG_PAGE_SIZE = 50
USERS_PAGE_SIZE = 50
REASON_MAX_LENGTH = 1000


class ModerationError(DomainError):
    """A moderation step that cannot be taken; raised as one of the subclasses below, which carry the status."""

    code = "moderation-refused"


class ModerationInputError(ModerationError, InputError):
    """What the moderator or administrator chose cannot be used (an unknown role, the mode already in use)."""


class InvalidStateError(ModerationError, ConflictError):
    """The comment or account is not in a state where this step makes sense."""

    code = "moderation-invalid-state"


class AlreadyReportedError(InvalidStateError):
    """This person has already reported this comment."""


class NotPermittedError(ModerationError, PermissionDeniedError):
    """The acting account may not do this to that comment or account."""


# --- which action is allowed from which comment state --------------------------------------------------

PUBLISHED = CommentState.PUBLISHED.value
HELD = CommentState.HELD.value
HIDDEN = CommentState.HIDDEN.value
WITHDRAWN = CommentState.WITHDRAWN.value

REPORT = "report"  # someone reports a comment; it stays shown...
HOLD = "hold"  # ...until enough people have reported it
APPROVE = "approve"
HIDE = "hide"
RESTORE = "restore"
DISMISS = "dismiss"

#: (state, action) -> the state after it. A pair that is not here is refused: a withdrawn comment belongs to its
#: author, and nothing moderates it.
TRANSITIONS: dict[tuple[str, str], str] = {
    (PUBLISHED, REPORT): PUBLISHED,
    (PUBLISHED, HOLD): HELD,
    (HELD, APPROVE): PUBLISHED,
    (PUBLISHED, HIDE): HIDDEN,
    (HELD, HIDE): HIDDEN,
    (HIDDEN, RESTORE): PUBLISHED,
    (PUBLISHED, DISMISS): PUBLISHED,
}

# Why an action is refused: the message for (state, action) if there is one, else the action's own (None, action).
REFUSALS = {
    (None, REPORT): _l("This comment is not shown publicly, so it cannot be reported."),
    (None, HOLD): _l("Comment %(number)s is %(state)s, so reports cannot hold it."),
    (PUBLISHED, APPROVE): _l("Comment %(number)s is already published; nothing to approve."),
    (None, APPROVE): _l("Only held comments can be approved; %(number)s is %(state)s."),
    (HIDDEN, HIDE): _l("Comment %(number)s is already hidden."),
    (WITHDRAWN, HIDE): _l("Comment %(number)s was withdrawn by its author."),
    (None, HIDE): _l("Comment %(number)s is %(state)s, so it cannot be hidden."),
    (None, RESTORE): _l("Only hidden comments can be restored; %(number)s is %(state)s."),
    (None, DISMISS): _l("Comment %(number)s is %(state)s; approve or hide it instead."),
}


def next_state(comment: Comment, action: str) -> str:
    """The state `action` takes `comment` to, per TRANSITIONS; InvalidStateError if it may not be taken."""
    state = comment.state
    new_state = TRANSITIONS.get((state, action))
    if new_state is None:
        message = REFUSALS.get((state, action)) or REFUSALS[(None, action)]
        raise InvalidStateError(str(message) % {"number": comment.tracking_number, "state": state})
    return new_state


# Audit actions on comments that the public moderation log shows, with their public labels (translated in the
# view). Suspensions are about people, so they are audited but never shown publicly.
ACTION_HELD_BY_REPORTS = "comment.held_by_reports"
ACTION_APPROVE = "comment.approve"
ACTION_HIDE = "comment.hide"
ACTION_RESTORE = "comment.restore"
ACTION_DISMISS = "comment.reports_dismissed"
ACTION_SUSPEND = "user.suspend"
ACTION_UNSUSPEND = "user.unsuspend"
ACTION_POLICY_MODE = "policy.moderation_mode"
ACTION_ROLE = "user.set_role"  # the same name app.auth.services uses
PUBLIC_LOG_ACTIONS = (
    ACTION_HELD_BY_REPORTS,
    ACTION_APPROVE,
    ACTION_HIDE,
    ACTION_RESTORE,
    ACTION_DISMISS,
)


def _reason(value: str | None, what: str) -> str:
    """Check a required reason (`what` names it, translated); a refusal belongs to the form's `reason` field."""
    return clean_text(value, what, REASON_MAX_LENGTH, field="reason")


def _optional_note(value: str | None) -> str:
    """Check a note for the audit log, which may be left empty; a refusal belongs to the `note` field."""
    return clean_text(value, _("a note"), REASON_MAX_LENGTH, field="note", required=False)


# --- keeping Clause.comment_count right --------------------------------------------------------------------


def refresh_clause_counts(session: Session, clause_ids: Iterable[int]) -> None:
    """Recount the clauses' public comments, replies and campaign members (repairs and tests only: a
    moderation action changes the counts by delta, `_change_state`)."""
    session.flush()
    refresh_counts(session, clause_ids)


def _change_state(
    session: Session, comment: Comment, new_state: str, moderator: User | None, reason: str | None
) -> str:
    """Move `comment` from the state it was read in to `new_state`, or refuse if someone moved it meanwhile.

    One conditional UPDATE (it locks the row; of two moderators hiding at once, the second finds no row in the
    state it read and is refused with 409, so the public log shows one hide). The counts change by delta,
    once the settle job has counted the comment (`processed`, read under the same lock). Returns the state
    before.
    """
    previous = comment.state
    moment = utcnow()
    changed = session.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.state == previous)
        .values(
            state=new_state,
            moderation_reason=reason,
            moderated_at=moment,
            moderated_by_id=moderator.id if moderator is not None else None,
        )
        .returning(Comment.processed, Comment.campaign_group_id),
        execution_options={"synchronize_session": False},
    ).first()
    number = comment.tracking_number
    session.expire(comment)
    if changed is None:
        raise InvalidStateError(
            _("Comment %(number)s was changed by someone else just now; look at it again.", number=number)
        )
    reindex(session, comment)  # the search index follows the state (a Core UPDATE bypasses its listener)
    tags, _hard = tags_for(comment, False)
    touch(session, *tags, hard=True)
    delta = (new_state == PUBLISHED) - (previous == PUBLISHED)
    if delta and changed.processed:
        published_changed(
            session, comment.clause_id, comment.parent_id, changed.campaign_group_id, comment.id, delta
        )
    return previous


def _lock(session: Session, comment: Comment) -> None:
    """Wait for any other change to this comment, then read it again (PostgreSQL; SQLite's writers queue)."""
    session.flush()
    session.execute(select(Comment.id).where(Comment.id == comment.id).with_for_update())
    session.refresh(comment)


# --- finding things ----------------------------------------------------------------------------------------


def open_reports(session: Session, comment_ids: Iterable[int]) -> dict[int, list[CommentReport]]:
    """Unresolved reports of each comment, oldest first."""
    ids = list(comment_ids)
    grouped: dict[int, list[CommentReport]] = {i: [] for i in ids}
    if not ids:
        return grouped
    reports = session.scalars(
        select(CommentReport)
        .where(CommentReport.comment_id.in_(ids), CommentReport.resolved_at.is_(None))
        .order_by(CommentReport.created_at, CommentReport.id)
    )
    for report in reports:
        grouped[report.comment_id].append(report)
    return grouped


def _count_open_reports(session: Session, comment: Comment) -> int:
    session.flush()
    return (
        session.scalar(
            select(func.count()).where(
                CommentReport.comment_id == comment.id, CommentReport.resolved_at.is_(None)
            )
        )
        or 0
    )


def _resolve_reports(session: Session, comment: Comment, moment: dt.datetime) -> int:
    reports = open_reports(session, [comment.id])[comment.id]
    for report in reports:
        report.resolved_at = moment
    comment.report_count = 0
    return len(reports)


# --- reporting ---------------------------------------------------------------------------------------------


def report_comment(
    session: Session, reporter: User, comment: Comment, reason: str | None, threshold: int
) -> CommentReport:
    """Record that `reporter` thinks `comment` breaks the rules; hold it once `threshold` people agree."""
    if not reporter.is_active:
        raise NotPermittedError(_("Suspended accounts cannot report comments."))
    next_state(comment, REPORT)
    if comment.user_id is not None and comment.user_id == reporter.id:
        raise NotPermittedError(_("You cannot report your own comment. You can withdraw it instead."))
    text = _reason(reason, _("a reason"))
    _lock(session, comment)  # reports of one comment at once count each other: the threshold is reached
    next_state(comment, REPORT)
    already = session.scalar(
        select(CommentReport.id).where(
            CommentReport.comment_id == comment.id, CommentReport.reporter_id == reporter.id
        )
    )
    if already is not None:
        raise AlreadyReportedError(_("You have already reported this comment. A moderator will look at it."))
    report = CommentReport(comment_id=comment.id, reporter_id=reporter.id, reason=text)
    session.add(report)
    count = _count_open_reports(session, comment)
    comment.report_count = count
    if count >= max(1, threshold):
        number = comment.tracking_number
        _change_state(session, comment, next_state(comment, HOLD), None, None)
        audit(
            session,
            None,
            ACTION_HELD_BY_REPORTS,
            "comment",
            comment.id,
            f"reported {count} times",
            tracking_number=number,
        )
    session.flush()
    return report


# --- moderators' actions -----------------------------------------------------------------------------------


def _moderate(
    session: Session,
    moderator: User,
    comment: Comment,
    action: str,
    audit_action: str,
    note: str | None,
    public: bool = False,
) -> Comment:
    """Take `action` on `comment`: check who and which state, then the note (a public reason when `public`)."""
    _require_moderator(moderator)
    new_state = next_state(comment, action)
    reason = _reason(note, _("a public reason")) if public else _optional_note(note)
    moment = utcnow()
    previous = _change_state(session, comment, new_state, moderator, reason if public else None)
    resolved = _resolve_reports(session, comment, moment)
    audit(
        session,
        moderator,
        audit_action,
        "comment",
        comment.id,
        reason,
        tracking_number=comment.tracking_number,
        previous_state=previous,
        reports_resolved=resolved,
    )
    session.flush()
    if action != DISMISS:  # dismissing reports changes nothing for the author
        notify_events.comment_moderated(session, comment, action)
    return comment


def _require_moderator(user: User) -> None:
    if not (user.is_active and user.has_role(Role.MODERATOR)):
        raise NotPermittedError(_("Only moderators can do that."))


def approve_comment(session: Session, moderator: User, comment: Comment, note: str | None = None) -> Comment:
    """Publish a held comment and close its reports."""
    return _moderate(session, moderator, comment, APPROVE, ACTION_APPROVE, note)


def hide_comment(session: Session, moderator: User, comment: Comment, reason: str | None) -> Comment:
    """Remove a comment from public view; the public sees a tombstone with `reason`."""
    return _moderate(session, moderator, comment, HIDE, ACTION_HIDE, reason, public=True)


def restore_comment(session: Session, moderator: User, comment: Comment, note: str | None = None) -> Comment:
    """Show a hidden comment again."""
    return _moderate(session, moderator, comment, RESTORE, ACTION_RESTORE, note)


def dismiss_reports(session: Session, moderator: User, comment: Comment, note: str | None = None) -> Comment:
    """Keep a reported comment published and close its reports."""
    _require_moderator(moderator)
    next_state(comment, DISMISS)
    if _count_open_reports(session, comment) == 0:
        raise InvalidStateError(_("Comment %(number)s has no open reports.", number=comment.tracking_number))
    return _moderate(session, moderator, comment, DISMISS, ACTION_DISMISS, note)


def _may_act_on_account(actor: User, target: User) -> None:
    if actor.id == target.id:
        raise NotPermittedError(_("You cannot change your own account here."))
    staff = target.role != Role.COMMENTER.value
    if staff and actor.role != Role.ADMIN.value:
        raise NotPermittedError(_("Only an administrator can suspend or unsuspend a staff account."))


def suspend_user(session: Session, moderator: User, user: User, reason: str | None) -> User:
    """Suspend an account: it cannot sign in or comment, and its sessions end now."""
    _require_moderator(moderator)
    text = _reason(reason, _("a reason"))
    _may_act_on_account(moderator, user)
    if user.suspended_at is not None:
        raise InvalidStateError(_("This account is already suspended."))
    user.suspended_at = utcnow()
    user.suspended_reason = text[:500]
    end_all_sessions(session, user)
    audit(session, moderator, ACTION_SUSPEND, "user", user.id, text)
    session.flush()
    return user


def unsuspend_user(session: Session, moderator: User, user: User, note: str | None = None) -> User:
    """Lift a suspension."""
    _require_moderator(moderator)
    _may_act_on_account(moderator, user)
    if user.suspended_at is None:
        raise InvalidStateError(_("This account is not suspended."))
    user.suspended_at = None
    user.suspended_reason = None
    audit(session, moderator, ACTION_UNSUSPEND, "user", user.id, _optional_note(note))
    session.flush()
    return user


# --- the queue ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueCounts:
    held: int
    reported: int
    hidden: int


@dataclass
class QueueItem:
    """A comment in the queue with what a moderator needs to decide."""

    comment: Comment
    reports: list[CommentReport] = field(default_factory=list)


@dataclass(frozen=True)
class QueuePage:
    counts: QueueCounts
    items: list[QueueItem]
    next_after: int | None


QUEUE_VIEWS = ("queue", "held", "reported", "hidden")


def queue_counts(session: Session) -> QueueCounts:
    """How many comments wait (held), are reported but still shown, and are hidden."""
    by_state = dict(
        session.execute(
            select(Comment.state, func.count())
            .where(Comment.state.in_([CommentState.HELD.value, CommentState.HIDDEN.value]))
            .group_by(Comment.state)
        ).all()
    )
    reported = session.scalar(
        select(func.count()).where(Comment.state == CommentState.PUBLISHED.value, Comment.report_count > 0)
    )
    return QueueCounts(
        held=by_state.get(CommentState.HELD.value, 0),
        reported=reported or 0,
        hidden=by_state.get(CommentState.HIDDEN.value, 0),
    )


def queue_page(session: Session, view: str = "queue", after: int | None = None) -> QueuePage:
    """Held and reported comments (or only held, only reported, or hidden ones), oldest first, by comment id."""
    if view == "hidden":
        condition = Comment.state == CommentState.HIDDEN.value
    elif view == "held":
        condition = Comment.state == CommentState.HELD.value
    elif view == "reported":  # reported but still shown: what the "reported, still shown" count counts
        condition = (Comment.state == CommentState.PUBLISHED.value) & (Comment.report_count > 0)
    else:
        condition = (Comment.state == CommentState.HELD.value) | (
            (Comment.state == CommentState.PUBLISHED.value) & (Comment.report_count > 0)
        )
    query = (
        select(Comment)
        .where(condition)
        .order_by(Comment.id)
        .limit(QUEUE_PAGE_SIZE + 1)
        .options(
            selectinload(Comment.user),
            selectinload(Comment.clause).selectinload(Clause.section),
            selectinload(Comment.version),
        )
    )
    if after is not None:
        query = query.where(Comment.id > after)
    comments = list(session.scalars(query))
    more = len(comments) > QUEUE_PAGE_SIZE
    comments = comments[:QUEUE_PAGE_SIZE]
    reports = open_reports(session, [c.id for c in comments])
    items = [QueueItem(comment=c, reports=reports[c.id]) for c in comments]
    return QueuePage(
        counts=queue_counts(session),
        items=items,
        next_after=comments[-1].id if more and comments else None,
    )


def comment_history(session: Session, comment: Comment) -> list[AuditEvent]:
    """Every audit event about `comment`, oldest first (staff only: it names moderators)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.target_type == "comment", AuditEvent.target_id == comment.id)
            .order_by(AuditEvent.id)
        )
    )


def account_summary(session: Session, user: User) -> dict[str, int]:
    """How much an account has said, for the moderator's view of it."""
    rows = dict(
        session.execute(
            select(Comment.state, func.count()).where(Comment.user_id == user.id).group_by(Comment.state)
        ).all()
    )
    return {state.value: rows.get(state.value, 0) for state in CommentState}


# --- the public log ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    """One line of the public moderation log: no person is named."""

    id: int
    created_at: dt.datetime
    action: str
    tracking_number: str
    reason: str
    by_system: bool
    policy_title: str | None
    version_label: str | None
    clause_number: str | None
    link: tuple[str, str, str, str] | None  # policy slug, version slug, section key, clause key


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    next_before: int | None


def public_log(session: Session, before: int | None = None, limit: int | None = None) -> LogPage:
    """The newest moderation actions on comments first, keyset-paginated by event id, `limit` a page."""
    limit = limit or LOG_PAGE_SIZE  # read when called: the page's size is a setting tests may change
    query = (
        select(AuditEvent, Comment, Clause, Section, Version, Policy)
        .outerjoin(Comment, Comment.id == AuditEvent.target_id)
        .outerjoin(Clause, Clause.id == Comment.clause_id)
        .outerjoin(Section, Section.id == Clause.section_id)
        .outerjoin(Version, Version.id == Comment.version_id)
        .outerjoin(Policy, Policy.id == Version.policy_id)
        .where(AuditEvent.target_type == "comment", AuditEvent.action.in_(PUBLIC_LOG_ACTIONS))
        .order_by(AuditEvent.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = session.execute(query).all()
    more = len(rows) > limit
    entries = []
    for event, comment, clause, section, version, policy in rows[:limit]:
        public = comment is not None and version is not None and version.is_public
        number = comment.tracking_number if comment is not None else event.details.get("tracking_number", "")
        entries.append(
            LogEntry(
                id=event.id,
                created_at=event.created_at,
                action=event.action,
                tracking_number=str(number),
                # Approve/restore notes are for staff; only a hide's reason and the report count are public.
                reason=event.reason if event.action in (ACTION_HIDE, ACTION_HELD_BY_REPORTS) else "",
                by_system=event.actor_id is None and event.action == ACTION_HELD_BY_REPORTS,
                policy_title=policy.title if public and policy else None,
                version_label=version.label if public and version else None,
                clause_number=clause.number if public and clause else None,
                link=(policy.slug, version.slug, section.key, clause.key)
                if public and policy and version and section and clause
                else None,
            )
        )
    return LogPage(entries=entries, next_before=entries[-1].id if more and entries else None)


# --- admin: policies and users -----------------------------------------------------------------------------


def set_policy_moderation(session: Session, admin: User, policy: Policy, mode: str) -> Policy:
    """Switch a policy between post-moderation and pre-moderation (new comments held)."""
    if not (admin.is_active and admin.role == Role.ADMIN.value):
        raise NotPermittedError(_("Only administrators can change a policy's moderation."), "mode")
    if mode not in {m.value for m in ModerationMode}:
        raise ModerationInputError(_("Choose pre-moderation or post-moderation."), "mode")
    if policy.moderation == mode:
        raise ModerationInputError(
            _("%(title)s already uses that moderation mode.", title=policy.title), "mode"
        )
    previous = policy.moderation
    policy.moderation = mode
    audit(session, admin, ACTION_POLICY_MODE, "policy", policy.id, "", previous=previous, new=mode)
    session.flush()
    return policy


def set_user_role(session: Session, admin: User, user: User, role: str) -> User:
    """Give an account a role."""
    if not (admin.is_active and admin.role == Role.ADMIN.value):
        raise NotPermittedError(_("Only administrators can change roles."), "role")
    if role not in {r.value for r in Role}:
        raise ModerationInputError(_("Choose one of the roles listed."), "role")
    if admin.id == user.id:
        raise NotPermittedError(_("You cannot change your own role; ask another administrator."), "role")
    if user.role == role:
        raise ModerationInputError(_("The account already has that role."), "role")
    previous = user.role
    user.role = role
    # A change of powers ends the account's sessions, so no page stays open with the old ones.
    end_all_sessions(session, user)
    audit(session, admin, ACTION_ROLE, "user", user.id, "", previous=previous, role=role)
    session.flush()
    return user


@dataclass(frozen=True)
class UsersPage:
    users: list[User]
    next_after: int | None


def users_page(session: Session, after: int | None = None) -> UsersPage:
    """Accounts in the order they were made, keyset-paginated by id."""
    query = select(User).order_by(User.id).limit(USERS_PAGE_SIZE + 1)
    if after is not None:
        query = query.where(User.id > after)
    users = list(session.scalars(query))
    more = len(users) > USERS_PAGE_SIZE
    users = users[:USERS_PAGE_SIZE]
    return UsersPage(users=users, next_after=users[-1].id if more and users else None)


def list_policies(session: Session) -> list[Policy]:
    return list(session.scalars(select(Policy).order_by(Policy.title)))
