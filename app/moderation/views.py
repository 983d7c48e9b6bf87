"""Reporting a comment, the moderators' queue and actions, and the public moderation log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access import roles_required, signed_in_required
from app.comments.services import can_view_comment
from app.extensions import db, limiter
from app.models import Comment, Role, User
from app.moderation import services
from app.moderation.forms import ACTION_LABELS, STATE_LABELS, ActionForm, HideForm, ReportForm, SuspendForm

bp = Blueprint("moderation", __name__)

moderators_only = roles_required(Role.MODERATOR)


@bp.context_processor
def labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "action_labels": ACTION_LABELS}


def int_arg(name: str) -> int | None:
    """A keyset cursor from the query string: absent is None, anything but a small integer is a 400."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 12:
        abort(400)
    return int(raw)


def error_status(error: services.ModerationError) -> int:
    """The HTTP status for a refused step: 403 not allowed, 409 wrong state, 400 bad input."""
    if isinstance(error, services.NotPermittedError):
        return 403
    if isinstance(error, services.InvalidStateError):
        return 409
    return 400


def get_comment_or_404(tracking_number: str, staff: bool = False) -> Comment:
    """Load a comment by tracking number; 404 when unknown or not visible to the current user."""
    comment = services.get_comment(db.session, tracking_number)
    if comment is None:
        abort(404)
    if not staff and not can_view_comment(current_user, comment):
        abort(404)
    return comment


def get_user_or_404(user_id: int) -> User:
    user = services.get_user(db.session, user_id)
    if user is None:
        abort(404)
    return user


def comment_location(comment: Comment) -> str:
    """The public page that shows a comment's clause."""
    version = comment.version
    return url_for(
        "drafts.section",
        policy_slug=version.policy.slug,
        version_slug=version.slug,
        section_key=comment.clause.section.key,
        _anchor=f"clause-{comment.clause.key}",
    )


# --- reporting ---------------------------------------------------------------------------------------------


@bp.route("/comments/<tracking_number>/report", methods=["GET", "POST"])
@signed_in_required
@limiter.limit("10 per minute; 60 per day", methods=["POST"])
def report(tracking_number: str) -> ResponseReturnValue:
    comment = get_comment_or_404(tracking_number)
    form = ReportForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.report_comment(
                db.session,
                current_user,
                comment,
                form.reason.data,
                int(current_app.config["REPORT_HIDE_THRESHOLD"]),
            )
        except services.ModerationError as error:
            db.session.rollback()
            form.reason.errors = [str(error)]
            status = error_status(error)
        else:
            db.session.commit()
            flash(
                _(
                    "Thank you. Your report on comment %(number)s was sent to the moderators.",
                    number=comment.tracking_number,
                )
            )
            return redirect(comment_location(comment))
    elif form.is_submitted():
        status = 400
    return render_template(
        "moderation/report.html", comment=comment, form=form, back=comment_location(comment)
    ), status


# --- the queue ---------------------------------------------------------------------------------------------


@bp.get("/moderation")
@moderators_only
def queue() -> ResponseReturnValue:
    view = request.args.get("show", "queue")
    if view not in services.QUEUE_VIEWS:
        abort(400)
    page = services.queue_page(db.session, view, int_arg("after"))
    return render_template("moderation/queue.html", page=page, view=view)


def _detail(
    comment: Comment, status: int = 200, problem: str | None = None, **forms: Any
) -> ResponseReturnValue:
    """The moderator's page for one comment, with the forms its state allows (some may carry errors)."""
    reports = services.open_reports(db.session, [comment.id])[comment.id]
    context: dict[str, Any] = {
        "approve_form": ActionForm(prefix="approve"),
        "hide_form": HideForm(prefix="hide"),
        "restore_form": ActionForm(prefix="restore"),
        "dismiss_form": ActionForm(prefix="dismiss"),
    }
    context.update(forms)
    return render_template(
        "moderation/comment.html",
        comment=comment,
        reports=reports,
        history=services.comment_history(db.session, comment),
        location=comment_location(comment),
        problem=problem,
        **context,
    ), status


def _refused(error: services.ModerationError) -> bool:
    """Whether an error is about the state of things or who may act (not about what was typed)."""
    return isinstance(error, (services.InvalidStateError, services.NotPermittedError))


@bp.get("/moderation/comments/<tracking_number>")
@moderators_only
def comment(tracking_number: str) -> ResponseReturnValue:
    return _detail(get_comment_or_404(tracking_number, staff=True))


ACTIONS = {
    "approve": (ActionForm, "note", services.approve_comment, "approve_form"),
    "hide": (HideForm, "reason", services.hide_comment, "hide_form"),
    "restore": (ActionForm, "note", services.restore_comment, "restore_form"),
    "dismiss": (ActionForm, "note", services.dismiss_reports, "dismiss_form"),
}

DONE_MESSAGES = {
    "approve": _l("Comment %(number)s approved and published."),
    "hide": _l("Comment %(number)s hidden. The public sees your reason in its place."),
    "restore": _l("Comment %(number)s restored."),
    "dismiss": _l("Reports on comment %(number)s dismissed; it stays published."),
}


@bp.post("/moderation/comments/<tracking_number>/<action>")
@moderators_only
@limiter.limit("120 per minute")
def act(tracking_number: str, action: str) -> ResponseReturnValue:
    if action not in ACTIONS:
        abort(404)
    comment = get_comment_or_404(tracking_number, staff=True)
    form_class, field_name, service, form_key = ACTIONS[action]
    form = form_class(prefix=action)
    if not form.validate_on_submit():
        return _detail(comment, 400, **{form_key: form})
    try:
        service(db.session, current_user, comment, getattr(form, field_name).data)
    except services.ModerationError as error:
        db.session.rollback()
        if _refused(error):
            return _detail(comment, error_status(error), problem=str(error))
        getattr(form, field_name).errors = [str(error)]
        return _detail(comment, error_status(error), **{form_key: form})
    db.session.commit()
    flash(str(DONE_MESSAGES[action]) % {"number": comment.tracking_number})
    return redirect(url_for("moderation.comment", tracking_number=comment.tracking_number))


# --- accounts ----------------------------------------------------------------------------------------------


def _account(user: User, status: int = 200, problem: str | None = None, **forms: Any) -> ResponseReturnValue:
    context = {
        "suspend_form": SuspendForm(prefix="suspend"),
        "unsuspend_form": ActionForm(prefix="unsuspend"),
    }
    context.update(forms)
    return render_template(
        "moderation/account.html",
        account=user,
        summary=services.account_summary(db.session, user),
        problem=problem,
        **context,
    ), status


@bp.get("/moderation/users/<int:user_id>")
@moderators_only
def account(user_id: int) -> ResponseReturnValue:
    return _account(get_user_or_404(user_id))


@bp.post("/moderation/users/<int:user_id>/suspend")
@moderators_only
@limiter.limit("60 per minute")
def suspend(user_id: int) -> ResponseReturnValue:
    user = get_user_or_404(user_id)
    form = SuspendForm(prefix="suspend")
    if not form.validate_on_submit():
        return _account(user, 400, suspend_form=form)
    try:
        services.suspend_user(db.session, current_user, user, form.reason.data)
    except services.ModerationError as error:
        db.session.rollback()
        if _refused(error):
            return _account(user, error_status(error), problem=str(error))
        form.reason.errors = [str(error)]
        return _account(user, error_status(error), suspend_form=form)
    db.session.commit()
    flash(_("Account suspended. It cannot sign in or comment, and its sessions have ended."))
    return redirect(url_for("moderation.account", user_id=user.id))


@bp.post("/moderation/users/<int:user_id>/unsuspend")
@moderators_only
@limiter.limit("60 per minute")
def unsuspend(user_id: int) -> ResponseReturnValue:
    user = get_user_or_404(user_id)
    form = ActionForm(prefix="unsuspend")
    if not form.validate_on_submit():
        return _account(user, 400, unsuspend_form=form)
    try:
        services.unsuspend_user(db.session, current_user, user, form.note.data)
    except services.ModerationError as error:
        db.session.rollback()
        if _refused(error):
            return _account(user, error_status(error), problem=str(error))
        form.note.errors = [str(error)]
        return _account(user, error_status(error), unsuspend_form=form)
    db.session.commit()
    flash(_("Suspension lifted. The account can sign in again."))
    return redirect(url_for("moderation.account", user_id=user.id))


# --- the public log ----------------------------------------------------------------------------------------


@bp.get("/moderation/log")
def log() -> ResponseReturnValue:
    page = services.public_log(db.session, int_arg("before"))
    return render_template("moderation/log.html", page=page)
