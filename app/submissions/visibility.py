"""Who is shown a submission, its words, and the name of who made it; and, for every redactable text (a
submission's, a clause comment's, a free-text answer's), the words with or without its redactions.

Drafts are their author's only. A submission its maker asked us not to publish is read by staff (and its maker)
and counted in public totals, never shown. Otherwise the comments' rule: the public sees published ones;
drafters, reviewers and moderators also see held and hidden ones. A redacted passage is shown to staff and to
whoever wrote it; everyone else (and every search, feed and export) reads "[redacted: reason]".
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.comments.visibility import _is_staff, _user_id
from app.models import Answer, Comment, Consent, Submission, SubmissionState, Viewer
from app.submissions.presenters import organisation_kind_label, redacted_text

Redactable = Submission | Comment | Answer


def is_own(viewer: Viewer | None, submission: Submission) -> bool:
    return submission.user_id is not None and submission.user_id == _user_id(viewer)


def is_public(submission: Submission) -> bool:
    """Shown to everyone: published, on a public version, and its maker agreed to publish it."""
    return (
        submission.state == SubmissionState.PUBLISHED.value
        and submission.may_publish
        and submission.version.is_public
    )


def can_view_submission(viewer: Viewer | None, submission: Submission) -> bool:
    if is_own(viewer, submission):
        return True
    if submission.entered_by_id is not None and submission.entered_by_id == _user_id(viewer):
        return True  # the staff member who typed it in sees its receipt to send back
    if submission.is_draft:
        return False
    return is_public(submission) or _is_staff(viewer)


def shown_name(viewer: Viewer | None, submission: Submission) -> str:
    """How the maker is named to `viewer`: the consent decides for the public; staff see the name given."""
    return name_label(
        submission.consent,
        submission.is_organisation,
        submission.organisation_name,
        submission.organisation_kind,
        submission.submitter_name,
        full=_is_staff(viewer) or is_own(viewer, submission),
    )


def name_label(
    consent: str,
    is_organisation: bool,
    organisation: str | None,
    organisation_kind: str | None,
    name: str | None,
    full: bool,
) -> str:
    """The label of a maker: named as given when they consented to it or `full` (staff, the maker), else
    anonymous; from plain values, so exports that read tuples rather than rows name people the same way."""
    kind = organisation_kind_label(organisation_kind) if is_organisation else ""
    if consent == Consent.NAMED.value or full:
        if is_organisation:
            return _("%(organisation)s (%(kind)s)", organisation=organisation, kind=kind)
        return name or _("A member of the public")
    if is_organisation:
        return _("An organisation (%(kind)s)", kind=kind)
    return _("Anonymous member of the public")


def original_text(item: Redactable) -> str:
    """The words as written: a submission's or comment's body, an answer's free text."""
    if isinstance(item, Answer):
        return item.text or ""
    return item.body or ""


def has_redactions(item: Redactable) -> bool:
    """Whether any passage of it is redacted (comments and answers keep a count, so lists load nothing)."""
    if isinstance(item, Submission):
        return bool(item.redactions)
    return item.redaction_count > 0


def public_text(item: Redactable) -> str:
    """The words as the public reads them: each redacted passage replaced by "[redacted: reason]"."""
    text = original_text(item)
    if not has_redactions(item):
        return text
    return redacted_text(text, [(r.passage, r.reason) for r in item.redactions])


def sees_original(viewer: Viewer | None, item: Redactable) -> bool:
    """Staff, and whoever wrote it, read a redacted text as it was written."""
    if _is_staff(viewer):
        return True
    if isinstance(item, Answer):
        return is_own(viewer, item.submission)
    if isinstance(item, Submission):
        return is_own(viewer, item)
    return item.user_id is not None and item.user_id == _user_id(viewer)


def shown_text(viewer: Viewer | None, item: Redactable) -> str:
    """The words as `viewer` reads them: the original, or the public's redacted text."""
    if not has_redactions(item) or sees_original(viewer, item):
        return original_text(item)
    return public_text(item)


def shown_body_html(viewer: Viewer | None, item: Submission | Comment) -> str:
    """A submission's or comment's words as `viewer` sees them, as HTML: staff and its maker the original, the
    public with redactions (rendered again from the redacted text, so no passage survives in the markup)."""
    if not has_redactions(item) or sees_original(viewer, item):
        return item.body_html
    from app.drafts.rendering import render_comment

    return render_comment(public_text(item))


def public_comment_texts(session: Session, comment_ids: Iterable[int]) -> dict[int, str]:
    """The public's text of these comments (for reads that select columns, not rows): ask only for the ids of
    rows whose `redaction_count` is above 0, and the redactions are loaded in one query."""
    wanted = sorted(set(comment_ids))
    if not wanted:
        return {}
    rows = session.scalars(
        select(Comment).where(Comment.id.in_(wanted)).options(selectinload(Comment.redactions))
    )
    return {row.id: public_text(row) for row in rows}
