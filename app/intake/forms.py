"""Intake forms: one offline submission typed in by staff; a CSV/XLSX table of them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FileField, RadioField, StringField, SubmitField, TextAreaField

from app.models import Consent, SubmitterKind
from app.submissions.forms import CheckboxesField, consent_choices, organisation_choices, submitter_choices
from app.submissions.presenters import CHANNEL_LABELS
from app.submissions.services import MAX_BODY_CHARS


def channel_choices() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in CHANNEL_LABELS.items() if k != "online"]


class IntakeForm(FlaskForm):  # type: ignore[misc]
    channel = RadioField(_l("How did it reach us?"), choices=channel_choices, validate_choice=False)
    received_on = StringField(
        _l("Day received (YYYY-MM-DD)"), render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )
    name = StringField(
        _l("Submitter's name, as they gave it"), render_kw={"maxlength": 200, "autocomplete": "off"}
    )
    contact = StringField(
        _l("How to reach them (optional)"), render_kw={"maxlength": 320, "autocomplete": "off"}
    )
    submitter_kind = RadioField(
        _l("Who made it?"),
        choices=submitter_choices,
        default=SubmitterKind.INDIVIDUAL.value,
        validate_choice=False,
    )
    organisation_name = StringField(_l("Name of the organisation"), render_kw={"maxlength": 200})
    organisation_kind = RadioField(
        _l("Kind of organisation"), choices=organisation_choices, validate_choice=False
    )
    region = StringField(_l("Region (optional)"), render_kw={"maxlength": 100})
    consent = RadioField(
        _l("What they said about publishing it"),
        choices=consent_choices,
        default=Consent.NAMED.value,
        validate_choice=False,
    )
    body = TextAreaField(
        _l("The submission, transcribed"), render_kw={"rows": 12, "maxlength": MAX_BODY_CHARS}
    )
    section_keys = CheckboxesField(_l("Sections it is about (optional)"), choices=[], validate_choice=False)
    scan = FileField(_l("Scan or copy of the original (optional: PDF, DOCX, ODT or TXT)"))
    submit = SubmitField(_l("Enter submission"))


class ImportForm(FlaskForm):  # type: ignore[misc]
    file = FileField(_l("CSV or XLSX file"))
    check = SubmitField(_l("Check the file (nothing is saved)"))
    run = SubmitField(_l("Import every row"))
