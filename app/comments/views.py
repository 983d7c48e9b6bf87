"""Comment pages: the comment form, a clause's comments, threads, edits, withdrawals, receipts, campaigns."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from app.comments import services
from app.comments.forms import CommentForm, EditForm, ReceiptLookupForm, ReplyForm, WithdrawForm
from app.comments.services import (
    CommentError,
    CommentingClosedError,
    CommentInputError,
    CommentStateError,
    DuplicateCommentError,
    EditWindowClosedError,
    NotAuthorError,
    QuoteInput,
)
from app.drafts.views import get_version_or_404
from app.extensions import db, limiter
from app.models import CampaignGroup, Clause, Comment, CommentState, Version
from app.models.base import utcnow

bp = Blueprint("comments", __name__)

# Every domain error a comment action can raise, and the status its page is sent with: the one place.
ERROR_STATUS: dict[type[CommentError], int] = {
    CommentInputError: 422,
    CommentingClosedError: 409,
    DuplicateCommentError: 409,
    EditWindowClosedError: 409,
    CommentStateError: 409,
    NotAuthorError: 403,
}

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


# --- loading and access ------------------------------------------------------------------------------


def viewer() -> Any:
    """The signed-in user, or the anonymous user object."""
    return current_user._get_current_object()


def login_url(target: str) -> str:
    """The sign-in page, coming back to `target` (a path on this site) afterwards."""
    if "auth.login" in current_app.view_functions:
        return url_for("auth.login", next=target)
    return f"/login?next={quote(target)}"


def to_login() -> ResponseReturnValue:
    """Send an anonymous visitor to sign in, then back to the page they wanted."""
    return redirect(login_url(request.full_path.rstrip("?") if request.method == "GET" else request.path))


def get_commentable_clause_or_404(
    policy_slug: str, version_slug: str, clause_key: str
) -> tuple[Version, Clause]:
    """Load a clause of a published version; working versions and unknown keys are 404."""
    version = get_version_or_404(policy_slug, version_slug)
    if not version.is_public:
        abort(404)
    clause = services.get_clause(db.session, version, clause_key)
    if clause is None:
        abort(404)
    return version, clause


def get_comment_or_404(comment_id: int) -> Comment:
    """Load a comment the viewer may see (body or tombstone); anything else is 404."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or not services.can_view_comment(viewer(), comment):
        abort(404)
    return comment


def cursor(name: str) -> int | None:
    """A keyset cursor from the query string: a comment id, or 400 for anything else."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        abort(400)
    return int(raw)


def _int_or_none(raw: str | None) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    if not raw.strip().isascii() or not raw.strip().isdigit() or len(raw.strip()) > 18:
        abort(400)
    return int(raw.strip())


@bp.errorhandler(CommentError)
def refused(error: CommentError) -> ResponseReturnValue:
    """Show a domain error as a page with its status; nothing was stored."""
    db.session.rollback()
    status = next((code for kind, code in ERROR_STATUS.items() if isinstance(error, kind)), 400)
    first = error.first if isinstance(error, DuplicateCommentError) else None
    return render_template("comments/refused.html", error=error, status=status, first=first), status


def unreadable_form() -> bool:
    """A body was sent but no field could be read from it: werkzeug drops urlencoded forms that are not UTF-8."""
    return not request.form and not request.files and (request.content_length or 0) > 0


UNREADABLE_MESSAGE = (
    "Your comment could not be read: it was not sent as valid UTF-8 text. Retype or paste it again."
)

AUTOMATED_MESSAGE = (
    "We could not send this yet: it came back faster than a person can type, or a field meant to stay "
    "empty was filled. Check it and press the button again."
)


# --- commenting --------------------------------------------------------------------------------------


def _form_page(
    version: Version, clause: Clause, form: CommentForm, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    period = services.period_status(version)
    first_time = not services.has_commented(db.session, viewer())
    return (
        render_template(
            "comments/form.html",
            version=version,
            clause=clause,
            section=clause.section,
            form=form,
            period=period,
            first_time=first_time,
            **extra,
        ),
        status,
    )


@bp.route(
    "/policies/<policy_slug>/versions/<version_slug>/clauses/<clause_key>/comment", methods=["GET", "POST"]
)
@comment_post_limit
def comment_form(policy_slug: str, version_slug: str, clause_key: str) -> ResponseReturnValue:
    version, clause = get_commentable_clause_or_404(policy_slug, version_slug, clause_key)
    if not current_user.is_authenticated:
        return to_login()
    form = CommentForm()
    if request.method == "POST":
        services.require_open(version, utcnow())
        if unreadable_form():
            form.stamp()
            return _form_page(version, clause, form, 422, form_error=_(UNREADABLE_MESSAGE))
        if not form.validate():
            form.stamp()
            return _form_page(version, clause, form, 422)
        if form.looks_automated():
            form.stamp()
            return _form_page(version, clause, form, 422, form_error=_(AUTOMATED_MESSAGE))
        quote = QuoteInput.from_form(
            form.quote_exact.data, form.quote_prefix.data, form.quote_suffix.data, form.quote_start.data
        )
        try:
            comment = services.post_comment(
                db.session, viewer(), clause, form.body.data, form.display_as.data, quote
            )
        except CommentInputError as error:
            db.session.rollback()
            getattr(form, error.field).errors = [error.message]
            form.stamp()
            return _form_page(version, clause, form, 422)
        db.session.commit()
        _flash_posted(comment)
        return redirect(url_for("comments.receipt", tracking_number=comment.tracking_number), 303)
    # Prefill a passage chosen on the section page (comments.js sends it in the query string).
    if request.args.get("quote"):
        form.quote_exact.data = request.args.get("quote", "")[: services.MAX_QUOTE_CHARS]
        form.quote_prefix.data = request.args.get("prefix", "")[-services.MAX_CONTEXT_CHARS :]
        form.quote_suffix.data = request.args.get("suffix", "")[: services.MAX_CONTEXT_CHARS]
        form.quote_start.data = request.args.get("start", "")[:9]
    form.stamp()
    return _form_page(version, clause, form)


def _flash_posted(comment: Comment) -> None:
    if comment.state == CommentState.HELD.value:
        flash(
            _("Thank you. Your comment is waiting for a moderator; it will appear once approved."), "success"
        )
    else:
        flash(_("Thank you. Your comment has been published."), "success")


@bp.get("/policies/<policy_slug>/versions/<version_slug>/clauses/<clause_key>/comments")
def clause_comments(policy_slug: str, version_slug: str, clause_key: str) -> ResponseReturnValue:
    version, clause = get_commentable_clause_or_404(policy_slug, version_slug, clause_key)
    before = cursor("before")
    listing = services.clause_comments(db.session, viewer(), clause, before)
    return render_template(
        "comments/clause.html",
        version=version,
        clause=clause,
        section=clause.section,
        listing=listing,
        before=before,
        period=services.period_status(version),
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>/campaigns/<int:group_id>")
def campaign(policy_slug: str, version_slug: str, group_id: int) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    group = db.session.get(CampaignGroup, group_id)
    if group is None or group.version_id != version.id or not version.is_public:
        abort(404)
    representative = services.representative_of(db.session, group)
    if representative is None and not services.visible_states(viewer()) - services.PUBLIC_STATES:
        abort(404)
    after = cursor("after")
    listing = services.campaign_members(db.session, viewer(), group, after)
    clause = db.session.get_one(Clause, group.clause_id)
    return render_template(
        "comments/campaign.html",
        version=version,
        clause=clause,
        group=group,
        representative=(
            services.comment_view(viewer(), representative, False) if representative is not None else None
        ),
        listing=listing,
        after=after,
    )


# --- threads and replies -----------------------------------------------------------------------------


def _thread_page(
    comment: Comment, form: ReplyForm | None, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    head, replies = services.thread(db.session, viewer(), comment, cursor("after"))
    clause = services.clause_of(db.session, comment)
    return (
        render_template(
            "comments/thread.html",
            version=comment.version,
            clause=clause,
            head=head,
            replies=replies,
            form=form,
            period=services.period_status(comment.version),
            login_url=login_url(url_for("comments.thread", comment_id=comment.id)),
            **extra,
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
        form.stamp()
    return _thread_page(comment, form)


@bp.post("/comments/<int:comment_id>/reply")
@comment_post_limit
def reply(comment_id: int) -> ResponseReturnValue:
    parent = get_comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return to_login()
    form = ReplyForm()
    services.require_open(parent.version, utcnow())
    if unreadable_form():
        form.stamp()
        return _thread_page(parent, form, 422, form_error=_(UNREADABLE_MESSAGE))
    if not form.validate():
        form.stamp()
        return _thread_page(parent, form, 422)
    if form.looks_automated():
        form.stamp()
        return _thread_page(parent, form, 422, form_error=_(AUTOMATED_MESSAGE))
    try:
        comment = services.post_reply(
            db.session,
            viewer(),
            parent,
            form.body.data,
            form.display_as.data,
            version_id=_int_or_none(form.version_id.data),
            clause_id=_int_or_none(form.clause_id.data),
        )
    except CommentInputError as error:
        db.session.rollback()
        getattr(form, error.field).errors = [error.message]
        form.stamp()
        return _thread_page(parent, form, 422)
    db.session.commit()
    _flash_posted(comment)
    return redirect(url_for("comments.receipt", tracking_number=comment.tracking_number), 303)


# --- editing and withdrawing -------------------------------------------------------------------------


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@comment_post_limit
def edit(comment_id: int) -> ResponseReturnValue:
    comment = get_comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return to_login()
    form = EditForm()
    if request.method == "POST" and form.validate():
        try:
            services.edit_comment(db.session, viewer(), comment, form.body.data)
        except CommentInputError as error:
            db.session.rollback()
            form.body.errors = [error.message]
            return render_template("comments/edit.html", comment=comment, form=form), 422
        db.session.commit()
        flash(_("Your changes have been saved."), "success")
        return redirect(url_for("comments.receipt", tracking_number=comment.tracking_number), 303)
    if request.method == "GET":
        # Refuse early with the same errors the service would raise on saving.
        if comment.user_id != current_user.id:
            raise NotAuthorError(_("Only the person who wrote this comment can change it."))
        if not services.can_edit(viewer(), comment):
            raise EditWindowClosedError(
                _("You can edit a comment for 15 minutes after sending it. You can still withdraw it.")
            )
        form.body.data = comment.body
    return render_template(
        "comments/edit.html", comment=comment, form=form
    ), 200 if request.method == "GET" else 422


@bp.route("/comments/<int:comment_id>/withdraw", methods=["GET", "POST"])
def withdraw(comment_id: int) -> ResponseReturnValue:
    comment = get_comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return to_login()
    if comment.user_id != current_user.id:
        raise NotAuthorError(_("Only the person who wrote this comment can withdraw it."))
    form = WithdrawForm()
    if form.validate_on_submit():
        services.withdraw_comment(db.session, viewer(), comment)
        db.session.commit()
        flash(_("Your comment has been withdrawn. Its replies stay; a note says you withdrew it."), "success")
        return redirect(url_for("comments.receipt", tracking_number=comment.tracking_number), 303)
    return render_template("comments/withdraw.html", comment=comment, form=form)


# --- receipts ----------------------------------------------------------------------------------------


@bp.get("/receipts")
def receipts() -> ResponseReturnValue:
    form = ReceiptLookupForm(request.args)
    number = request.args.get("number")
    if number is None:
        return render_template("comments/receipts.html", form=form)
    comment = services.find_by_tracking_number(db.session, number)
    if comment is not None and services.can_view_receipt(viewer(), comment):
        return redirect(url_for("comments.receipt", tracking_number=comment.tracking_number))
    if services.normalise_tracking_number(number) is None:
        form.number.errors = [
            _("Enter a tracking number like KR-7HQ4-MX3C: the letters and digits on your receipt.")
        ]
    else:
        form.number.errors = [_("We could not find a receipt with that tracking number.")]
    return render_template("comments/receipts.html", form=form), 404


@bp.get("/receipts/<tracking_number>")
def receipt(tracking_number: str) -> ResponseReturnValue:
    comment = services.find_by_tracking_number(db.session, tracking_number)
    if comment is None or not services.can_view_receipt(viewer(), comment):
        abort(404)
    if comment.tracking_number != tracking_number:
        return redirect(url_for("comments.receipt", tracking_number=comment.tracking_number))
    clause = services.clause_of(db.session, comment)
    view = services.comment_view(viewer(), comment, comment.version.accepts_comments_at(utcnow()))
    parent = (
        db.session.scalar(select(Comment).where(Comment.id == comment.parent_id))
        if comment.parent_id
        else None
    )
    return render_template(
        "comments/receipt.html",
        comment=comment,
        view=view,
        clause=clause,
        version=comment.version,
        parent=parent,
        spoken=services.spell_tracking_number(comment.tracking_number),
    )
