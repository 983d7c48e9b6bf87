"""The response form: what was done about a comment or a campaign group."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.responses.services import OUTCOME_LABELS


class ResponseForm(FlaskForm):
    outcome = RadioField(
        _l("What was done"),
        choices=[SelectChoice(value, label) for value, label in OUTCOME_LABELS.items()],
        validate_choice=False,
    )
    text = TextAreaField(
        _l("Response"), description=_l("What you did about it and why. It is published with the comment.")
    )
    changed_in = SelectField(_l("Version where the change was made"), choices=[], validate_choice=False)
    clauses = StringField(
        _l("Clauses changed"),
        description=_l("Clause numbers or keys in that version, separated by commas, e.g. 3.2, 3.4."),
    )
    submit = SubmitField(_l("Save response"))
