"""Comment pages: the comment form, a clause's comments, threads, edits, withdrawals, receipts, campaigns.

Views load through `app.access`, call one use case and return: the request boundary commits, and `app.errors`
answers every refusal. What was typed wrongly (an `InputError`) shows the form again with the message on its
field and the text kept (`show_form_again`); anything else (the period closed, a duplicate, not the author)
shows the refusal's own page with its status.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask import session as browser_session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf import FlaskForm

from app.access import (
    get_comment_or_404,
    get_public_clause_or_404,
    get_version_or_404,
    int_arg,
    login_redirect,
    parse_id,
    viewer,
)
from app.boundary import current_session
from app.comments import admission, antibot, jobs, listing, services
from app.comments.editing import require_editable, require_withdrawable
from app.comments.errors import WritersBusyError
from app.comments.forms import CommentForm, EditForm, ReceiptLookupForm, ReplyForm, WithdrawForm
from app.comments.inputs import MAX_CONTEXT_CHARS, MAX_QUOTE_CHARS, QuoteInput
from app.comments.periods import period_status
from app.comments.tracking import look_up_receipt
from app.errors import put_on_form, redisplay
from app.exceptions import DomainError, InputError, UnavailableError
from app.extensions import limiter
from app.models import Clause, Comment, CommentState, Role, Version

bp = Blueprint("comments", __name__)

DEFAULT_RATE_LIMIT = "10 per minute;100 per day"


def _rate_key() -> str:
    """Limit each account (or, before sign-in, each address) on its own."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{get_remote_address()}"


comment_post_limit = limiter.shared_limit(
    lambda: current_app.config.get("COMMENTS_RATE_LIMIT", DEFAULT_RATE_LIMIT),
    scope="comment-post",
    key_func=_rate_key,
    methods=["POST"],
)


def show_form_again(
    form: FlaskForm,
    page: Callable[[], ResponseReturnValue],
    kinds: tuple[type[DomainError], ...] = (InputError,),
) -> None:
    """On a refusal of one of `kinds`, put its message on its field of `form` and show `page()` again.

    Other refusals are shown on their own page (`error.template`), as `app.errors` shows them without a form.
    A refusal because the site is busy (`UnavailableError`) keeps its own status (503): nothing was wrong with
    the form, and it comes back as it was sent, form token and all, so sending it again is safe.
    """

    def show(error: DomainError) -> ResponseReturnValue:
        if not isinstance(error, kinds):
            return render_template(error.template, error=error, status=error.status), error.status
        put_on_form(form, error)
        if not isinstance(error, UnavailableError):
            return page()
        g.antibot_second_look = True  # it passed the checks once: a quick resend is not timed again
        response = current_app.make_response(page())
        response.status_code = error.status
        return response

    redisplay(show)


def _hidden_id(raw: str | None) -> int | None:
    """An id from a hidden form field: empty is None; anything but an id is 400."""
    raw = (raw or "").strip()
    return parse_id(raw) if raw else None


def _sign_in_url(target: str) -> str:
    """The sign-in page, coming back to `target` (a path on this site) afterwards."""
    if "auth.login" in current_app.view_functions:
        return url_for("auth.login", next=target)
    return "/login?" + urlencode({"next": target})


_JUST_SENT = "korero_just_sent"
BUSY_KINDS: tuple[type[DomainError], ...] = (InputError, WritersBusyError)


def _to_receipt(comment: Comment) -> ResponseReturnValue:
    return redirect(url_for("comments.receipt", tracking_number=comment.tracking_number), 303)


def _to_new_receipt(comment: Comment) -> ResponseReturnValue:
    """The receipt of a comment just sent; it thanks its author as it is when they see it (settled or not)."""
    browser_session[_JUST_SENT] = comment.tracking_number
    return _to_receipt(comment)


def _thank_once(comment: Comment) -> None:
    if browser_session.get(_JUST_SENT) == comment.tracking_number:
        browser_session.pop(_JUST_SENT)
        _flash_posted(comment)


def _flash_posted(comment: Comment) -> None:
    if not comment.processed:  # stored, its grouping and counts still queued behind others'
        flash(
            _(
                "Thank you. We have your comment: it is stored safely under tracking number %(number)s. It may "
                "take a few minutes to show on the page and in the counts, because many people are commenting now.",
                number=comment.tracking_number,
            ),
            "success",
        )
    elif comment.state == CommentState.HELD.value:
        flash(
            _("Thank you. Your comment is waiting for a moderator; it will appear once approved."), "success"
        )
    else:
        flash(_("Thank you. Your comment has been published."), "success")


# --- commenting --------------------------------------------------------------------------------------


def _form_page(version: Version, clause: Clause, form: CommentForm, status: int = 200) -> ResponseReturnValue:
    form.stamp()
    return (
        render_template(
            "comments/form.html",
            version=version,
            clause=clause,
            section=clause.section,
            form=form,
            period=period_status(version),
            first_time=not listing.has_commented(current_session(), viewer()),
        ),
        status,
    )


def _prefill_quote(form: CommentForm) -> None:
    """Prefill a passage chosen on the section page (comments.js sends it in the query string)."""
    if request.args.get("quote"):
        form.quote_exact.data = request.args.get("quote", "")[:MAX_QUOTE_CHARS]
        form.quote_prefix.data = request.args.get("prefix", "")[-MAX_CONTEXT_CHARS:]
        form.quote_suffix.data = request.args.get("suffix", "")[:MAX_CONTEXT_CHARS]
        form.quote_start.data = request.args.get("start", "")[:9]


@bp.route(
    "/policies/<policy_slug>/versions/<version_slug>/clauses/<clause_key>/comment", methods=["GET", "POST"]
)
@comment_post_limit
def comment_form(policy_slug: str, version_slug: str, clause_key: str) -> ResponseReturnValue:
    version, clause = get_public_clause_or_404(policy_slug, version_slug, clause_key)
    if not current_user.is_authenticated:
        return login_redirect()
    form = CommentForm()
    if request.method == "GET":
        _prefill_quote(form)
        return _form_page(version, clause, form)
    show_form_again(form, lambda: _form_page(version, clause, form, 422), kinds=BUSY_KINDS)
    antibot.check(form.submission())
    if not form.validate():
        return _form_page(version, clause, form, 422)
    quote = QuoteInput.from_form(
        form.quote_exact.data, form.quote_prefix.data, form.quote_suffix.data, form.quote_start.data
    )
    admission.admit()  # a turn to store it, or 503 with the form kept
    comment = services.accept_comment(
        current_session(), viewer(), clause, form.body.data, form.display_as.data, quote, form.token()
    )
    jobs.schedule_settle(comment.id)  # grouping and counts, after the commit: the receipt does not wait
    return _to_new_receipt(comment)


@bp.get("/policies/<policy_slug>/versions/<version_slug>/clauses/<clause_key>/comments")
def clause_comments(policy_slug: str, version_slug: str, clause_key: str) -> ResponseReturnValue:
    version, clause = get_public_clause_or_404(policy_slug, version_slug, clause_key)
    before = int_arg("before")
    return render_template(
        "comments/clause.html",
        version=version,
        clause=clause,
        section=clause.section,
        listing=listing.clause_comments(current_session(), viewer(), clause, before),
        before=before,
        period=period_status(version),
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>/campaigns/<int:group_id>")
def campaign(policy_slug: str, version_slug: str, group_id: int) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    merged_into = listing.merged_into(current_session(), version, group_id)
    if merged_into is not None:  # staff merged it: its members are in the group it names
        target = url_for(
            "comments.campaign", policy_slug=policy_slug, version_slug=version_slug, group_id=merged_into
        )
        return redirect(target, 302)
    after = int_arg("after")
    page = listing.campaign_page(current_session(), viewer(), version, group_id, after)
    if page is None:
        abort(404)
    return render_template(
        "comments/campaign.html",
        version=version,
        clause=page.clause,
        group=page.group,
        representative=page.representative,
        listing=page.members,
        after=after,
    )


# --- threads and replies -----------------------------------------------------------------------------


def _thread_page(comment: Comment, form: ReplyForm | None, status: int = 200) -> ResponseReturnValue:
    if form is not None:
        form.stamp()
    session = current_session()
    head, replies = listing.thread(session, viewer(), comment, int_arg("after"))
    return (
        render_template(
            "comments/thread.html",
            version=comment.version,
            clause=listing.clause_of(session, comment),
            head=head,
            replies=replies,
            form=form,
            period=period_status(comment.version),
            login_url=_sign_in_url(url_for("comments.thread", comment_id=comment.id)),
        ),
        status,
    )


@bp.get("/comments/<int:comment_id>")
def thread(comment_id: int) -> ResponseReturnValue:
    comment = get_comment_or_404(comment_id)
    if comment.parent_id is not None:
        return redirect(
            url_for("comments.thread", comment_id=comment.parent_id, _anchor=f"comment-{comment.id}")
        )
    form = None
    if current_user.is_authenticated:
        form = ReplyForm(version_id=str(comment.version_id), clause_id=str(comment.clause_id))
    return _thread_page(comment, form)


@bp.post("/comments/<int:comment_id>/reply")
@comment_post_limit
def reply(comment_id: int) -> ResponseReturnValue:
    parent = get_comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return login_redirect()
    form = ReplyForm()
    show_form_again(form, lambda: _thread_page(parent, form, 422), kinds=BUSY_KINDS)
    antibot.check(form.submission())
    if not form.validate():
        return _thread_page(parent, form, 422)
    admission.admit()
    comment = services.accept_reply(
        current_session(),
        viewer(),
        parent,
        form.body.data,
        form.display_as.data,
        version_id=_hidden_id(form.version_id.data),
        clause_id=_hidden_id(form.clause_id.data),
        form_token=form.token(),
    )
    jobs.schedule_settle(comment.id)
    return _to_new_receipt(comment)


# --- editing and withdrawing -------------------------------------------------------------------------


def _edit_page(comment: Comment, form: EditForm, status: int = 200) -> ResponseReturnValue:
    return render_template("comments/edit.html", comment=comment, form=form), status


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@comment_post_limit
def edit(comment_id: int) -> ResponseReturnValue:
    comment = get_comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return login_redirect()
    form = EditForm()
    if request.method == "GET":
        require_editable(viewer(), comment)  # refuse early, as saving would
        form.body.data = comment.body
        return _edit_page(comment, form)
    show_form_again(form, lambda: _edit_page(comment, form, 422))
    if not form.validate():
        return _edit_page(comment, form, 422)
    services.edit_comment(current_session(), viewer(), comment, form.body.data)
    flash(_("Your changes have been saved."), "success")
    return _to_receipt(comment)


@bp.route("/comments/<int:comment_id>/withdraw", methods=["GET", "POST"])
def withdraw(comment_id: int) -> ResponseReturnValue:
    comment = get_comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return login_redirect()
    require_withdrawable(viewer(), comment)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return render_template("comments/withdraw.html", comment=comment, form=form)
    services.withdraw_comment(current_session(), viewer(), comment)
    flash(_("Your comment has been withdrawn. Its replies stay; a note says you withdrew it."), "success")
    return _to_receipt(comment)


# --- receipts ----------------------------------------------------------------------------------------


@bp.get("/receipts")
def receipts() -> ResponseReturnValue:
    form = ReceiptLookupForm(request.args)
    number = request.args.get("number")
    if number is None:
        return render_template("comments/receipts.html", form=form)
    show_form_again(form, lambda: render_template("comments/receipts.html", form=form), kinds=(DomainError,))
    # Whole-version submissions share the tracking numbers' shape and the lookup.
    from app.submissions.listing import receipt as submission_receipt

    submission = submission_receipt(current_session(), viewer(), number)
    if submission is not None:
        return redirect(url_for("submissions.receipt", tracking_number=submission.tracking_number))
    comment = look_up_receipt(current_session(), viewer(), number)
    return redirect(url_for("comments.receipt", tracking_number=comment.tracking_number))


@bp.get("/receipts/<tracking_number>")
def receipt(tracking_number: str) -> ResponseReturnValue:
    found = listing.receipt(current_session(), viewer(), tracking_number)
    if found is None:
        from app.submissions.listing import receipt as submission_receipt

        submission = submission_receipt(current_session(), viewer(), tracking_number)
        if submission is not None:
            return redirect(url_for("submissions.receipt", tracking_number=submission.tracking_number))
        abort(404)
    if found.comment.tracking_number != tracking_number:
        return redirect(url_for("comments.receipt", tracking_number=found.comment.tracking_number))
    _thank_once(found.comment)
    return render_template(
        "comments/receipt.html",
        comment=found.comment,
        view=found.view,
        clause=found.clause,
        version=found.version,
        parent=found.parent,
        spoken=found.spoken,
        settling=not found.comment.processed and found.comment.state != CommentState.WITHDRAWN.value,
        redact_form=_redact_form(),
    )


def _redact_form() -> FlaskForm | None:
    """The redaction form (the submissions' own) for moderators and reviewers; nobody else sees it."""
    if not viewer().has_role(Role.MODERATOR, Role.REVIEWER):
        return None
    from app.submissions.forms import RedactForm

    return RedactForm()
