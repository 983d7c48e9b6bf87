"""Submission forms: the whole-version submission, the questions editor, moderation and confirmation buttons.

The submission form's answers are fields named `q<question id>`, read by the view from the request (the
questions differ per version); everything else is a WTForms field, with the comments' honeypot and time stamp.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    MultipleFileField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.comments.forms import _Guarded
from app.models import Consent, SubmitterKind
from app.submissions.presenters import CONSENT_LABELS, ORGANISATION_LABELS, SUBMITTER_LABELS
from app.submissions.services import MAX_BODY_CHARS


def consent_choices() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in CONSENT_LABELS.items()]


def submitter_choices() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in SUBMITTER_LABELS.items()]


def organisation_choices() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in ORGANISATION_LABELS.items()]


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SubmissionForm(_Guarded):
    body = TextAreaField(
        _l("What do you think of this draft? Anything else to tell us?"),
        render_kw={"rows": 12, "maxlength": MAX_BODY_CHARS},
    )
    section_keys = CheckboxesField(
        _l("Which sections is it about? (optional)"), choices=[], validate_choice=False
    )
    submitter_kind = RadioField(
        _l("Who is making this submission?"),
        choices=submitter_choices,
        default=SubmitterKind.INDIVIDUAL.value,
        validate_choice=False,
    )
    organisation_name = StringField(
        _l("Name of the organisation"), render_kw={"maxlength": 200, "autocomplete": "organization"}
    )
    organisation_kind = RadioField(
        _l("Kind of organisation"), choices=organisation_choices, validate_choice=False
    )
    region = StringField(
        _l("Region (optional)"), render_kw={"maxlength": 100, "autocomplete": "address-level1"}
    )
    consent = RadioField(
        _l("May we publish your submission?"),
        choices=consent_choices,
        default=Consent.NAMED.value,
        validate_choice=False,
    )
    attachments = MultipleFileField(_l("Attach files (optional)"))
    remove_attachments = CheckboxesField(_l("Remove attached files"), choices=[], validate_choice=False)
    save = SubmitField(_l("Save as a draft and finish later"))
    submit = SubmitField(_l("Send submission"))


class QuestionsForm(FlaskForm):  # type: ignore[misc]
    questions = TextAreaField(_l("Questions"), render_kw={"rows": 18, "spellcheck": "true"})
    results_live = BooleanField(_l("Show the results while the period is open"))
    submit = SubmitField(_l("Save questions"))


class ModerateSubmissionForm(FlaskForm):  # type: ignore[misc]
    reason = StringField(_l("Reason (shown to the public when hiding)"), render_kw={"maxlength": 500})
    submit = SubmitField(_l("Apply"))


class ConfirmOrganisationForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField(_l("Mark the organisation as confirmed"))


def redaction_choices() -> list[tuple[str, str]]:
    from app.submissions.presenters import REDACTION_LABELS

    return [(k, str(v)) for k, v in REDACTION_LABELS.items()]


class RedactForm(FlaskForm):  # type: ignore[misc]
    """Redact a passage of a submission (its text or one written answer: `part`) or of a clause comment."""

    part = RadioField(_l("Where is the passage?"), choices=[], default="body", validate_choice=False)
    passage = TextAreaField(_l("Passage to redact, copied exactly"), render_kw={"rows": 3})
    reason = RadioField(_l("Why"), choices=redaction_choices, validate_choice=False)
    submit = SubmitField(_l("Redact for the public"))

    def offer_parts(self, written_answers: list[tuple[int, str]]) -> None:
        """Offer the submission's text and each written answer (id, question) as where the passage is."""
        self.part.choices = [("body", str(_l("The submission’s text")))] + [
            (f"answer-{answer_id}", str(_l("The answer to “%(question)s”", question=prompt)))
            for answer_id, prompt in written_answers
        ]
