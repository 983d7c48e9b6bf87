"""/api/v1 for whole-version submissions: list and read them, send one with a token, the question results.

On the same blueprint as the comment operations (`app.api.views.bp`), by the same habits: look up through
`app.access`, read through `app.api.listing`, write through the submissions service the form calls
(`send_new_submission`, so the period, consent, duplicate and moderation rules are the form's), and let the
request boundary commit. Who sees what is `app.submissions.visibility`'s rule, the one the pages follow.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.access import get_version_or_404
from app.api import idempotency, listing, presenters, tokens
from app.api import schemas as s
from app.api.requests import current_token, decode_cursor, reader, require_scope
from app.api.views import _page, bp, token_write
from app.boundary import current_session
from app.comments.periods import period_status
from app.exceptions import NotFoundError
from app.models import Question, SubmissionState, Viewer
from app.security import allow_larger_bodies
from app.submissions import services as submission_services
from app.submissions import storage
from app.submissions.listing import question_results, results_visible
from app.submissions.questions import TEXT
from app.submissions.visibility import can_view_submission, is_own


class SubmissionNotFoundError(NotFoundError):
    code = "submission-not-found"


def _as_seen_by(found: Any) -> Viewer:
    """The reader (`staff:read` or the public), or the token's owner when the submission is their own."""
    token = current_token()
    if token is not None and is_own(token.user, found):
        return token.user
    return reader()


@bp.get("/policies/<policy_slug>/versions/<version_slug>/submissions")
@bp.arguments(s.SubmissionFilters, location="query", as_kwargs=True)
@bp.response(200, s.SubmissionPage)
@bp.problems(400, 401, 404, 422, 429)
def submissions(policy_slug: str, version_slug: str, limit: int, **filters: Any) -> ResponseReturnValue:
    """Whole-version submissions on a version, oldest first: published ones its makers let us publish
    (every sent one, held and hidden too, with a staff token)."""
    found = get_version_or_404(policy_slug, version_slug)
    cursor = filters.pop("cursor", None)
    who = reader()
    rows = listing.submissions_page(
        current_session(),
        found,
        who,
        listing.SubmissionQuery(**filters),
        decode_cursor("submissions", cursor),
        limit,
    )
    page = _page(rows, limit, "submissions", lambda x: x.id)
    page["items"] = [presenters.submission(who, x) for x in page["items"]]
    return page


@bp.get("/submissions/<tracking_number>")
@bp.response(200, s.SubmissionOut)
@bp.problems(401, 404, 429)
def submission(tracking_number: str) -> ResponseReturnValue:
    """One submission by its tracking number (a private or unpublished one: its maker's token, or staff's)."""
    found = listing.find_submission(current_session(), tracking_number)
    if found is None or not found.version.is_public:
        raise SubmissionNotFoundError(_("There is no such submission, or it is not public."))
    who = _as_seen_by(found)
    if not can_view_submission(who, found):  # drafts: their maker only; unpublished ones: staff too
        raise SubmissionNotFoundError(_("There is no such submission, or it is not public."))
    return presenters.submission(who, found)


@bp.post("/policies/<policy_slug>/versions/<version_slug>/submissions")
@token_write(tokens.SUBMISSIONS_WRITE, s.SubmissionIn, s.SubmissionReceiptOut, "submission is made")
def post_submission(data: dict[str, Any], policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """Send a whole-version submission as the token's owner, by the same rules as the submission form."""
    token, user = require_scope(tokens.SUBMISSIONS_WRITE)
    found = get_version_or_404(policy_slug, version_slug)

    def run() -> tuple[dict[str, Any], int]:
        made = submission_services.send_new_submission(
            current_session(),
            user,
            found,
            submission_services.SubmissionInput(
                body=data["body"],
                consent=data["consent"],
                submitter_kind=data["submitter_kind"],
                organisation_name=data["organisation_name"],
                organisation_kind=data["organisation_kind"],
                region=data["region"],
                section_keys=data["section_keys"],
                answers={int(k): v for k, v in data["answers"].items()},
            ),
        )
        if made.state == SubmissionState.HELD.value:
            message = _(
                "Thank you. Your submission is waiting for a moderator; it will appear once approved."
            )
        else:
            message = _("Thank you. Your submission has been received.")
        receipt = {
            "tracking_number": made.tracking_number,
            "state": made.state,
            "message": message,
            "receipt_url": url_for(
                "submissions.receipt", tracking_number=made.tracking_number, _external=True
            ),
            "submission": presenters.submission(user, made),
        }
        return s.SubmissionReceiptOut().dump(receipt), 201

    return idempotency.respond(current_session(), token, data, run, lambda body: body["submission"]["url"])


@bp.post("/submissions/<tracking_number>/attachments")
@token_write(
    tokens.SUBMISSIONS_WRITE,
    s.AttachmentUploadIn,
    s.AttachmentReceiptOut,
    "file is attached",
    location="files",
    also=(413,),  # a body over the file limit (allow_larger_bodies, below)
)
def post_attachment(files: dict[str, Any], tracking_number: str) -> ResponseReturnValue:
    """Attach a file to your own submission while its period is open (multipart/form-data, field `file`), by
    the submission form's rules: the type decided by the content, the same size and count limits and refusals."""
    token, user = require_scope(tokens.SUBMISSIONS_WRITE)
    session = current_session()
    found = listing.find_submission(session, tracking_number)
    if found is None or not found.version.is_public or not can_view_submission(_as_seen_by(found), found):
        raise SubmissionNotFoundError(_("There is no such submission, or it is not public."))
    file = files["file"]
    limit = storage.limits().max_bytes
    try:
        data = file.read(limit + 1)  # one byte over is enough to refuse it as too large
    finally:
        file.close()
    upload = submission_services.Upload(file.filename or "", data)

    def run() -> tuple[dict[str, Any], int]:
        made = submission_services.add_attachments(session, user, found, [upload])[0]
        receipt = {
            "message": _("%(name)s is attached to your submission.", name=made.filename),
            "attachment": presenters.attachment(found, made),
            "submission": presenters.submission(user, found),
        }
        return s.AttachmentReceiptOut().dump(receipt), 201

    asked = {"filename": upload.filename, "sha256": hashlib.sha256(data).hexdigest()}
    return idempotency.respond(session, token, asked, run, lambda body: body["attachment"]["url"])


# One file a request: its largest, plus room for the multipart framing.
allow_larger_bodies("api.post_attachment", lambda: storage.limits().max_bytes + storage.MB)


# --- question results ----------------------------------------------------------------------------------------


@bp.get("/policies/<policy_slug>/versions/<version_slug>/results")
@bp.response(200, s.ResultsOut)
@bp.problems(401, 404, 429)
def results(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """The results of a version's questions, as its results page shows them: counts and shares per choice
    question, and where to read the published free-text answers. Hidden while the period is open unless the
    version shows results live (a staff token always sees them)."""
    found = get_version_or_404(policy_slug, version_slug)
    who = reader()
    period = period_status(found)
    visible = results_visible(found, who, period.is_open)
    here = {"policy_slug": policy_slug, "version_slug": version_slug}
    questions = []
    if visible:
        for result in question_results(current_session(), who, found):
            answers_url = (
                url_for("api.question_answers", **here, question_id=result.question.id, _external=True)
                if result.question.kind == TEXT
                else None
            )
            questions.append(presenters.question_result(result, answers_url))
    message = None if visible else f"{_('The results are shown once the period closes.')} {period.message}"
    return {
        "policy": policy_slug,
        "version": found.slug,
        "visible": visible,
        "message": message,
        "questions": questions,
    }


@bp.get("/policies/<policy_slug>/versions/<version_slug>/questions/<int:question_id>/answers")
@bp.arguments(s.PageArgs, location="query", as_kwargs=True)
@bp.response(200, s.TextAnswerPage)
@bp.problems(400, 401, 404, 422, 429)
def question_answers(
    policy_slug: str, version_slug: str, question_id: int, limit: int, cursor: str | None = None
) -> ResponseReturnValue:
    """The published answers to a free-text question, oldest first, named as their makers allowed."""
    found = get_version_or_404(policy_slug, version_slug)
    session = current_session()
    question = session.get(Question, question_id)
    if question is None or question.version_id != found.id or question.kind != TEXT:
        raise NotFoundError(_("This version has no such free-text question."))
    who = reader()
    if not results_visible(found, who, period_status(found).is_open):
        raise NotFoundError(_("The results are shown once the period closes."))
    rows = listing.text_answers_page(session, question, who, decode_cursor("answers", cursor), limit)
    page = _page(rows, limit, "answers", lambda row: row[0].id)
    page["items"] = [presenters.text_answer(who, answer, sub) for answer, sub in page["items"]]
    return page
