"""The workbench's forms (CSRF on each); lists of items are read from the form by the views."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.responses.services import OUTCOME_LABELS


class ActionForm(FlaskForm):
    """A button with nothing to fill in but the token (tag, untag, decide a suggestion)."""


class TagForm(FlaskForm):
    name = StringField(_l("Name"))
    description = TextAreaField(
        _l("Description"), description=_l("What belongs under this tag, for the analysts.")
    )
    parent = SelectField(_l("Parent tag"), choices=[], validate_choice=False)


class AssignForm(FlaskForm):
    analyst = SelectField(_l("Analyst"), choices=[], validate_choice=False)
    count = IntegerField(_l("How many items"), default=50)
    second = SelectField(
        _l("Coding"),
        choices=[
            SelectChoice("first", _l("First coding (items nobody has coded)")),
            SelectChoice("second", _l("Second coder (a sample of coded items)")),
        ],
        validate_choice=False,
    )


class ThemesForm(FlaskForm):
    themes = IntegerField(_l("How many themes"), default=8)
    seed = IntegerField(_l("Seed"), default=0, description=_l("The same seed and text give the same themes."))


class AnswerForm(FlaskForm):
    outcome = RadioField(
        _l("What was done"),
        choices=[SelectChoice(value, label) for value, label in OUTCOME_LABELS.items()],
        validate_choice=False,
    )
    text = TextAreaField(
        _l("Response"), description=_l("One response, linked to every comment with this tag.")
    )
    changed_in = SelectField(_l("Version where the change was made"), choices=[], validate_choice=False)
    clauses = StringField(
        _l("Clauses changed"), description=_l("Clause numbers or keys in that version, separated by commas.")
    )
