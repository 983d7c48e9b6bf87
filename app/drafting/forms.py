"""Forms of the drafters' workspace (Flask-WTF: every POST carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput


class StartVersionForm(FlaskForm):
    label = StringField(
        _l("Label of the new version"),
        description=_l("For example “Revised draft” or “Final”. Readers see it in every page title."),
    )
    submit = SubmitField(_l("Start a new version"))


class SectionForm(FlaskForm):
    text = TextAreaField(
        _l("Section text (Markdown)"),
        description=_l(
            "Start with the '## Heading {#key}' line. Each paragraph or list item is a clause; keep the {#key} at "
            "the end of a clause so comments stay attached to it."
        ),
    )
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    text_hash = HiddenField(validators=[InputRequired()])
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save section"))


class UploadForm(FlaskForm):
    file = FileField(
        _l("Markdown or Word file"),
        description=_l(
            "A UTF-8 text file of at most 2 MB in the draft format, or a Word document (.docx): its headings "
            "become sections and its paragraphs and list items clauses. It replaces the whole version."
        ),
    )
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    submit = SubmitField(_l("Upload and replace"))


class DetailsForm(FlaskForm):
    label = StringField(_l("Label"))
    change_note = TextAreaField(
        _l("What changed (change note)"), description=_l("A short summary readers see on the version page.")
    )
    comments_open = DateTimeLocalField(
        _l("Comments open"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("New Zealand time. Leave both empty for no comment period."),
    )
    comments_close = DateTimeLocalField(
        _l("Comments close"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("New Zealand time."),
    )
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    submit = SubmitField(_l("Save details"))


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (publish, mark final)."""

    submit = SubmitField(_l("Confirm"))


class PlacementForm(FlaskForm):
    where = RadioField(
        _l("Where does this comment belong now?"),
        choices=[
            SelectChoice("clause", _l("In a clause of this version")),
            SelectChoice("removed", _l("Its text was removed")),
        ],
        default="clause",
    )
    clause_key = SelectField(_l("Clause"), choices=[], validate_choice=False)
    quote = StringField(
        _l("Passage (optional)"),
        description=_l(
            "Copy the words the comment is about from the clause; leave empty for the whole clause."
        ),
    )
    submit = SubmitField(_l("Place the comment"))


# --- structure: sections and clauses, keys kept out of sight ------------------------------------------------


class AddSectionForm(FlaskForm):
    heading = StringField(_l("Heading of the new section"))
    text = TextAreaField(
        _l("Its first clause"),
        description=_l("Plain text or Markdown. Add more clauses once the section is there."),
    )
    after = SelectField(_l("Where"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Add the section"))


class RenameSectionForm(FlaskForm):
    heading = StringField(_l("Heading"))
    submit = SubmitField(_l("Rename"))


class MoveForm(FlaskForm):
    """Move up or down: the button pressed says which."""

    direction = SelectField(
        choices=[SelectChoice("up", "up"), SelectChoice("down", "down")], validators=[InputRequired()]
    )


class ClauseForm(FlaskForm):
    text = TextAreaField(_l("Clause text"))
    submit = SubmitField(_l("Save clause"))


class AddClauseForm(FlaskForm):
    text = TextAreaField(_l("New clause"))
    after = HiddenField()
    submit = SubmitField(_l("Add the clause"))


# --- publish with review --------------------------------------------------------------------------------------


class ApproveForm(FlaskForm):
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    submit = SubmitField(_l("Approve publication"))


class SignoffsForm(FlaskForm):
    signoffs = RadioField(
        _l("Who signs a publication off"),
        choices=[
            SelectChoice("1", _l("One person: the drafter who publishes, after the confirmation page")),
            SelectChoice(
                "2", _l("Two people: a drafter asks, another drafter or an admin reviews and approves")
            ),
        ],
        validators=[InputRequired()],
    )
    submit = SubmitField(_l("Save"))
