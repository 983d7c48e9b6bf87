"""Moderation forms. Content is checked by the services (one place for the rules); forms carry CSRF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.models import ModerationMode, Role
from app.moderation.services import REASON_MAX_LENGTH


class ReportForm(FlaskForm):
    reason = TextAreaField(
        _l("Why should a moderator look at this comment?"),
        description=_l(
            "For example: it is abusive, it shares someone's personal details, or it is spam. "
            "Up to %(max)s characters. Moderators see your report; the public does not.",
            max=f"{REASON_MAX_LENGTH:,}",
        ),
    )
    submit = SubmitField(_l("Send report"))


class ActionForm(FlaskForm):
    """A button that changes something: approve, restore, dismiss reports, unsuspend."""

    note = TextAreaField(_l("Note for the audit log (optional, not public)"))
    submit = SubmitField(_l("Confirm"))


class HideForm(FlaskForm):
    reason = TextAreaField(
        _l("Public reason"),
        description=_l(
            'Shown to everyone in place of the comment as "Removed by a moderator: <reason>", and in the '
            "public moderation log. Do not include personal details."
        ),
    )
    submit = SubmitField(_l("Hide comment"))


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for suspending"),
        description=_l("Recorded in the audit log and kept with the account. Not shown publicly."),
    )
    submit = SubmitField(_l("Suspend account"))


MODERATION_CHOICES = [
    SelectChoice(
        ModerationMode.POST.value, _l("Post-moderation: comments appear at once; moderators act on reports")
    ),
    SelectChoice(
        ModerationMode.PRE.value, _l("Pre-moderation: comments wait for a moderator before they appear")
    ),
]


class PolicyModerationForm(FlaskForm):
    mode = RadioField(_l("Moderation"), choices=MODERATION_CHOICES, validate_choice=False)
    submit = SubmitField(_l("Save moderation mode"))


ROLE_LABELS = {
    Role.COMMENTER.value: _l("Commenter"),
    Role.DRAFTER.value: _l("Drafter"),
    Role.REVIEWER.value: _l("Reviewer"),
    Role.MODERATOR.value: _l("Moderator"),
    Role.ADMIN.value: _l("Administrator"),
    Role.INTAKE.value: _l("Intake (enters offline submissions)"),
}


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(value, label) for value, label in ROLE_LABELS.items()],
        validate_choice=False,
    )
    submit = SubmitField(_l("Change role"))


STATE_LABELS = {
    "published": _l("Published"),
    "held": _l("Held for review"),
    "hidden": _l("Hidden by a moderator"),
    "withdrawn": _l("Withdrawn by its author"),
}

# What the public log calls each action (it never names who did it).
ACTION_LABELS = {
    "comment.held_by_reports": _l("Held for review after reports"),
    "comment.approve": _l("Approved"),
    "comment.hide": _l("Hidden"),
    "comment.restore": _l("Restored"),
    "comment.reports_dismissed": _l("Reports dismissed; kept"),
}

# What a moderator's history of one comment calls each audit event (staff only; the public log uses the above).
HISTORY_LABELS = {
    **ACTION_LABELS,
    "comment.reports_dismissed": _l("Reports dismissed; kept published"),
    "response.record": _l("The drafters recorded a response"),
    "placement.confirm": _l("A drafter placed it in a later version"),
}


def history_label(action: str) -> str:
    """A person's words for an audit action; an action nobody named yet shows as itself."""
    label = HISTORY_LABELS.get(action)
    return str(label) if label is not None else action
