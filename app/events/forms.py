"""Engagement event forms: the event itself; its "what we heard" summary."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, SubmitField, TextAreaField

from app.events.listing import KIND_LABELS
from app.events.services import MAX_HOST_CHARS, MAX_PLACE_CHARS, MAX_REGION_CHARS
from app.models import Consent, EventKind
from app.submissions.services import MAX_BODY_CHARS


def kind_choices() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in KIND_LABELS.items()]


def summary_consent_choices() -> list[tuple[str, str]]:
    return [
        (Consent.NAMED.value, str(_l("Publish it, naming the host"))),
        (Consent.ANONYMOUS.value, str(_l("Publish it without naming the host"))),
        (Consent.PRIVATE.value, str(_l("Do not publish it (the drafting team still reads it)"))),
    ]


class EventForm(FlaskForm):  # type: ignore[misc]
    kind = RadioField(
        _l("Kind of event"), choices=kind_choices, default=EventKind.HUI.value, validate_choice=False
    )
    held_on = StringField(
        _l("Day of the event (YYYY-MM-DD)"), render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )
    place = StringField(_l("Place"), render_kw={"maxlength": MAX_PLACE_CHARS, "autocomplete": "off"})
    region = StringField(_l("Region (optional)"), render_kw={"maxlength": MAX_REGION_CHARS})
    host = StringField(
        _l("Host (the person or organisation who held it)"),
        render_kw={"maxlength": MAX_HOST_CHARS, "autocomplete": "off"},
    )
    attendees = StringField(
        _l("Number of people (optional)"), render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )
    submit = SubmitField(_l("Save event"))


class SummaryForm(FlaskForm):  # type: ignore[misc]
    body = TextAreaField(_l("What we heard"), render_kw={"rows": 14, "maxlength": MAX_BODY_CHARS})
    consent = RadioField(
        _l("May we publish it?"),
        choices=summary_consent_choices,
        default=Consent.NAMED.value,
        validate_choice=False,
    )
    submit = SubmitField(_l("Save summary"))


class DeleteEventForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField(_l("Delete event"))
