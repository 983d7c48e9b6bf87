"""Reporting a comment, the moderators' queue and actions, and the public moderation log.

Views call one service and return; the request boundary commits. A refused step is shown by `app.errors` as
the page it came from again (`redisplay`): a problem with what was typed on its field, anything else (a state
that does not allow the step, a person who may not take it) at the top of the page, at the error's status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from app.access import (
    get_tracked_comment_or_404,
    get_user_or_404,
    int_arg,
    moderator_required,
    roles_required,
    signed_in_required,
    signed_in_user,
    viewer,
)
from app.boundary import current_session
from app.comments.visibility import shows_body
from app.errors import put_on_form, redisplay
from app.exceptions import DomainError
from app.extensions import limiter
from app.models import Comment, CommentState, Role, User
from app.moderation import services
from app.moderation.forms import (
    ACTION_LABELS,
    STATE_LABELS,
    ActionForm,
    HideForm,
    ReportForm,
    SuspendForm,
    history_label,
)
from app.submissions.forms import RedactForm
from app.submissions.services import redact_passage
from app.submissions.visibility import shown_body_html

bp = Blueprint("moderation", __name__)


@bp.context_processor
def labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "action_labels": ACTION_LABELS}


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


def redisplay_on(form: FlaskForm, page: Callable[[], ResponseReturnValue]) -> None:
    """On a refusal, put its message on `form` (on the field it names, else the whole form) and show `page()`."""

    def show(error: DomainError) -> ResponseReturnValue:
        put_on_form(form, error)
        return page()

    redisplay(show)


def form_problems(forms: Any) -> list[str]:
    """The messages that belong to a whole form rather than one field, for the page's error summary."""
    return [message for form in forms for message in form.form_errors]


# --- reporting ---------------------------------------------------------------------------------------------


def _report_page(comment: Comment, form: ReportForm) -> str:
    # Only a published comment can be reported, and only its words are shown here: a hidden, held or
    # withdrawn comment's words never appear on this page, whoever asks (the moderators' pages show them).
    reportable = comment.state == CommentState.PUBLISHED.value
    return render_template(
        "moderation/report.html",
        comment=comment,
        reportable=reportable,
        shows_words=reportable and shows_body(viewer(), comment),
        words_html=shown_body_html(viewer(), comment),
        form=form,
        problems=form_problems([form]),
        back=comment_location(comment),
    )


@bp.route("/comments/<tracking_number>/report", methods=["GET", "POST"])
@signed_in_required
@limiter.limit("10 per minute; 60 per day", methods=["POST"])
def report(tracking_number: str) -> ResponseReturnValue:
    comment = get_tracked_comment_or_404(tracking_number)
    form = ReportForm()
    if not form.validate_on_submit():
        return _report_page(comment, form), 400 if form.is_submitted() else 200
    redisplay_on(form, lambda: _report_page(comment, form))
    services.report_comment(
        current_session(),
        signed_in_user(),
        comment,
        form.reason.data,
        int(current_app.config["REPORT_HIDE_THRESHOLD"]),
    )
    flash(
        _(
            "Thank you. Your report on comment %(number)s was sent to the moderators.",
            number=comment.tracking_number,
        )
    )
    return redirect(comment_location(comment))


# --- the queue ---------------------------------------------------------------------------------------------


@bp.get("/moderation")
@moderator_required
def queue() -> ResponseReturnValue:
    view = request.args.get("show", "queue")
    if view not in services.QUEUE_VIEWS:
        abort(400)
    page = services.queue_page(current_session(), view, int_arg("after"))
    return render_template("moderation/queue.html", page=page, view=view)


def _detail(comment: Comment, **forms: FlaskForm) -> str:
    """The moderator's page for one comment, with the forms its state allows (one may carry errors)."""
    session = current_session()
    context: dict[str, FlaskForm] = {
        "approve_form": ActionForm(prefix="approve"),
        "hide_form": HideForm(prefix="hide"),
        "restore_form": ActionForm(prefix="restore"),
        "dismiss_form": ActionForm(prefix="dismiss"),
        **forms,
    }
    return render_template(
        "moderation/comment.html",
        comment=comment,
        reports=services.open_reports(session, [comment.id])[comment.id],
        history=services.comment_history(session, comment),
        history_label=history_label,
        location=comment_location(comment),
        problems=form_problems(context.values()),
        **context,
    )


@bp.get("/moderation/comments/<tracking_number>")
@moderator_required
def comment(tracking_number: str) -> ResponseReturnValue:
    return _detail(get_tracked_comment_or_404(tracking_number))


# action -> (its form, the form field the service reads, the service, the form's name on the page)
ACTIONS: dict[str, tuple[type[FlaskForm], str, Callable[..., Comment], str]] = {
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
@moderator_required
@limiter.limit("120 per minute")
def act(tracking_number: str, action: str) -> ResponseReturnValue:
    if action not in ACTIONS:
        abort(404)
    comment = get_tracked_comment_or_404(tracking_number)
    form_class, field_name, service, form_key = ACTIONS[action]
    form = form_class(prefix=action)
    if not form.validate_on_submit():
        return _detail(comment, **{form_key: form}), 400
    redisplay_on(form, lambda: _detail(comment, **{form_key: form}))
    service(current_session(), signed_in_user(), comment, getattr(form, field_name).data)
    flash(str(DONE_MESSAGES[action]) % {"number": comment.tracking_number})
    return redirect(url_for("moderation.comment", tracking_number=comment.tracking_number))


# --- redaction ---------------------------------------------------------------------------------------------


@bp.post("/comments/<tracking_number>/redact")
@roles_required(Role.MODERATOR, Role.REVIEWER)
@limiter.limit("120 per minute")
def redact(tracking_number: str) -> ResponseReturnValue:
    """Redact a passage of a clause comment for the public, as of a submission (one service for both)."""
    comment = get_tracked_comment_or_404(tracking_number)
    form = RedactForm()
    if not form.validate_on_submit():
        abort(400)
    redact_passage(current_session(), signed_in_user(), comment, form.passage.data, form.reason.data)
    flash(_("The passage is redacted for the public."), "success")
    return redirect(url_for("comments.receipt", tracking_number=comment.tracking_number), 303)


# --- accounts ----------------------------------------------------------------------------------------------


def _account(user: User, **forms: FlaskForm) -> str:
    context: dict[str, FlaskForm] = {
        "suspend_form": SuspendForm(prefix="suspend"),
        "unsuspend_form": ActionForm(prefix="unsuspend"),
        **forms,
    }
    return render_template(
        "moderation/account.html",
        account=user,
        summary=services.account_summary(current_session(), user),
        problems=form_problems(context.values()),
        **context,
    )


@bp.get("/moderation/users/<int:user_id>")
@moderator_required
def account(user_id: int) -> ResponseReturnValue:
    return _account(get_user_or_404(user_id))


@bp.post("/moderation/users/<int:user_id>/suspend")
@moderator_required
@limiter.limit("60 per minute")
def suspend(user_id: int) -> ResponseReturnValue:
    user = get_user_or_404(user_id)
    form = SuspendForm(prefix="suspend")
    if not form.validate_on_submit():
        return _account(user, suspend_form=form), 400
    redisplay_on(form, lambda: _account(user, suspend_form=form))
    services.suspend_user(current_session(), signed_in_user(), user, form.reason.data)
    flash(_("Account suspended. It cannot sign in or comment, and its sessions have ended."))
    return redirect(url_for("moderation.account", user_id=user.id))


@bp.post("/moderation/users/<int:user_id>/unsuspend")
@moderator_required
@limiter.limit("60 per minute")
def unsuspend(user_id: int) -> ResponseReturnValue:
    user = get_user_or_404(user_id)
    form = ActionForm(prefix="unsuspend")
    if not form.validate_on_submit():
        return _account(user, unsuspend_form=form), 400
    redisplay_on(form, lambda: _account(user, unsuspend_form=form))
    services.unsuspend_user(current_session(), signed_in_user(), user, form.note.data)
    flash(_("Suspension lifted. The account can sign in again."))
    return redirect(url_for("moderation.account", user_id=user.id))


# --- the public log ----------------------------------------------------------------------------------------


@bp.get("/moderation/log")
def log() -> ResponseReturnValue:
    page = services.public_log(current_session(), int_arg("before"))
    return render_template("moderation/log.html", page=page)
