"""Forms for creating and describing a consultation (Flask-WTF: every POST carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateTimeLocalField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional


class DescribeForm(FlaskForm):
    """How a consultation describes itself; the new-consultation form adds the first draft."""

    title = StringField(_l("Title"), description=_l("The policy's name, as readers will see it."))
    summary = TextAreaField(
        _l("Summary"), description=_l("One or two sentences: what the policy is about and who it affects.")
    )
    agency = StringField(_l("Agency"), description=_l("The organisation running the consultation."))
    contact_name = StringField(_l("Contact name"), description=_l("A person or team people can ask."))
    contact_email = StringField(_l("Contact email"), description=_l("Shown on the consultation's page."))
    why = TextAreaField(
        _l("Why we are asking"), description=_l("What you want to learn from people, and what is still open.")
    )
    next_steps = TextAreaField(
        _l("What happens next"),
        description=_l("What you will do with the comments, and when people will hear back."),
    )
    save = SubmitField(_l("Save the description"))


class NewConsultationForm(DescribeForm):
    label = StringField(
        _l("Label of the first draft"),
        default="Consultation draft",
        description=_l("For example “Consultation draft”. It becomes the first version."),
    )
    comments_open = DateTimeLocalField(
        _l("Comments open"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("New Zealand time. Leave both empty to set the period later."),
    )
    comments_close = DateTimeLocalField(
        _l("Comments close"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("New Zealand time."),
    )
    draft_text = TextAreaField(
        _l("First draft (Markdown)"),
        description=_l(
            "Type or paste it: each '## Heading' starts a section; each paragraph or list item under it is a "
            "clause. Or leave this empty and upload a file below."
        ),
    )
    draft_file = FileField(
        _l("Or upload the first draft"),
        description=_l(
            "A Markdown file (.md), or a Word document (.docx): its headings become sections and its paragraphs "
            "and list items clauses. At most 2 MB. You see a preview before anything is saved."
        ),
    )
    # The hash of the text last previewed: "Create" saves only what the drafter has seen.
    previewed = HiddenField()
    preview = SubmitField(_l("Preview"))
    create = SubmitField(_l("Create the consultation"))


class DocumentForm(FlaskForm):
    title = StringField(_l("Document title"))
    url = StringField(
        _l("Web address"), description=_l("A link to a document elsewhere, starting with https://.")
    )
    file = FileField(
        _l("Or upload a file"),
        description=_l(
            "PDF, Word, Excel, PNG, JPEG or plain text, at most 2 MB. Readers can only download it."
        ),
    )
    submit = SubmitField(_l("Add the document"))


class KeepOpenForm(FlaskForm):
    keep = BooleanField(
        _l("Keep taking comments on this version after a later version is published"),
        description=_l(
            "Only within its comment period. Without this, a version stops taking comments once it is replaced."
        ),
    )
    submit = SubmitField(_l("Save"))


class RemoveForm(FlaskForm):
    submit = SubmitField(_l("Remove"))
