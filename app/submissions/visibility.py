"""Who is shown a submission, its words, and the name of who made it.

Drafts are their author's only. A submission its maker asked us not to publish is read by staff (and its maker)
and counted in public totals, never shown. Otherwise the comments' rule: the public sees published ones;
drafters, reviewers and moderators also see held and hidden ones.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.comments.visibility import _is_staff, _user_id
from app.models import Consent, Submission, SubmissionState, Viewer
from app.submissions.presenters import organisation_kind_label


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


def shown_body_html(viewer: Viewer | None, submission: Submission) -> str:
    """The submission's words as `viewer` sees them: staff and its maker the original, the public with redactions."""
    if not submission.redactions or _is_staff(viewer) or is_own(viewer, submission):
        return submission.body_html
    from app.drafts.rendering import render_comment
    from app.submissions.presenters import redacted_text

    return render_comment(
        redacted_text(submission.body, [(r.passage, r.reason) for r in submission.redactions])
    )
