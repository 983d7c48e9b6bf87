"""The shapes of the API's requests and replies (marshmallow), from which the OpenAPI document is built."""

from __future__ import annotations

import re
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate

from app.models import Channel, Consent, DisplayAs, OrganisationKind, SubmissionState, SubmitterKind

SLUG = validate.Length(min=1, max=100)
_UNREADABLE = re.compile("[\x00\ud800-\udfff]")


def readable(value: str) -> None:
    """Refuse text a database cannot store: NUL and lone surrogates (JSON can carry both as escapes)."""
    if _UNREADABLE.search(value):
        raise ValidationError("Contains characters that could not be read (not valid UTF-8 text).")


class Text(fields.String):
    """A string field that refuses unreadable characters before anything looks it up or stores it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        validators = kwargs.pop("validate", None)
        listed = [validators] if callable(validators) else list(validators or [])
        super().__init__(*args, validate=[readable, *listed], **kwargs)


class AnswerValue(fields.Field):
    """An answer: one option or a free text (a string), or several options (a list of strings)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | list[str]:
        if isinstance(value, str):
            readable(value)
            if len(value) > 10000:
                raise ValidationError("An answer is at most 10,000 characters.")
            return value
        if isinstance(value, list) and len(value) <= 20 and all(isinstance(v, str) for v in value):
            for item in value:
                readable(item)
                if len(item) > 200:
                    raise ValidationError("A choice is at most 200 characters.")
            return list(value)
        raise ValidationError("Give a string, or a list of at most 20 strings.")


LIMIT = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class Problem(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    instance = fields.String()
    field = fields.String()
    errors = fields.Dict()


class CursorArgs(Schema):
    cursor = fields.String(validate=validate.Length(max=500), metadata={"description": "From `next_cursor`."})


class PageArgs(Schema):
    cursor = fields.String(validate=validate.Length(max=500), metadata={"description": "From `next_cursor`."})
    limit = LIMIT


class Page(Schema):
    next_cursor = fields.String(allow_none=True, required=True)


class VersionSummary(Schema):
    slug = fields.String(required=True)
    label = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["published", "final"]})
    position = fields.Integer(required=True)
    published_at = fields.DateTime(allow_none=True)
    comments_open_at = fields.DateTime(allow_none=True)
    comments_close_at = fields.DateTime(allow_none=True)
    content_hash = fields.String(required=True)
    url = fields.String(required=True)


class PolicyOut(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    moderation = fields.String(required=True)
    url = fields.String(required=True)
    versions = fields.List(fields.Nested(VersionSummary), required=True)


class PolicyPage(Page):
    items = fields.List(fields.Nested(PolicyOut), required=True)


class ClauseOut(Schema):
    key = fields.String(required=True)
    number = fields.String(required=True)
    markdown = fields.String(required=True)
    text = fields.String(required=True)
    comment_count = fields.Integer(required=True)


class SectionOut(Schema):
    key = fields.String(required=True)
    number = fields.String(required=True)
    heading = fields.String(required=True)
    clauses = fields.List(fields.Nested(ClauseOut), required=True)


class VersionOut(VersionSummary):
    policy = fields.String(required=True)
    change_note = fields.String(required=True)
    word_count = fields.Integer(required=True)
    previous = fields.String(allow_none=True, required=True)
    sections = fields.List(fields.Nested(SectionOut), required=True)


class WordOpOut(Schema):
    op = fields.String(required=True, metadata={"enum": ["equal", "insert", "delete"]})
    text = fields.String(required=True)


class ChangeOut(Schema):
    kind = fields.String(required=True)
    section_key = fields.String(required=True)
    old_section_key = fields.String(allow_none=True)
    old_keys = fields.List(fields.String(), required=True)
    new_keys = fields.List(fields.String(), required=True)
    old_number = fields.String(allow_none=True)
    new_number = fields.String(allow_none=True)
    old_heading = fields.String(allow_none=True)
    new_heading = fields.String(allow_none=True)
    words = fields.List(fields.Nested(WordOpOut), required=True)


class CompareOut(Schema):
    policy = fields.String(required=True)
    old = fields.String(required=True)
    new = fields.String(required=True)
    total = fields.Integer(required=True)
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    changes = fields.List(fields.Nested(ChangeOut), required=True)


class AnchorOut(Schema):
    exact = fields.String(required=True)
    prefix = fields.String(allow_none=True)
    suffix = fields.String(allow_none=True)
    start = fields.Integer(allow_none=True)
    end = fields.Integer(allow_none=True)


class CampaignOut(Schema):
    id = fields.Integer(required=True)
    member_count = fields.Integer(required=True)


class QuestionRef(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True, metadata={"description": "1 for the first question (q1)."})
    prompt = fields.String(required=True)


class ResponseOut(Schema):
    id = fields.Integer(required=True)
    outcome = fields.String(required=True)
    text = fields.String(required=True)
    changed_in_version = fields.String(allow_none=True)
    changed_clause_keys = fields.List(fields.String(), required=True)
    to_kind = fields.String(
        required=True,
        validate=validate.OneOf(["comment", "campaign_group", "submission", "answer"]),
        metadata={"description": "What it answers; `answer` is a free-text answer to one of the questions."},
    )
    to_comment = fields.String(allow_none=True, required=True, metadata={"description": "Tracking number."})
    to_campaign = fields.Integer(allow_none=True, required=True)
    to_submission = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The submission's tracking number (an answer's is its submission's)."},
    )
    to_answer = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "The answer's id, as in the question's answers."},
    )
    to_question = fields.Nested(
        QuestionRef,
        allow_none=True,
        required=True,
        metadata={"description": "The question an answer answers."},
    )
    created_at = fields.DateTime(required=True)


class CommentOut(Schema):
    tracking_number = fields.String(required=True)
    version = fields.String(required=True)
    clause_key = fields.String(required=True)
    in_reply_to = fields.String(allow_none=True, required=True)
    state = fields.String(required=True)
    author = fields.String(required=True, metadata={"description": "The name shown: consent-respecting."})
    account = fields.String(allow_none=True, metadata={"description": "Staff tokens only."})
    author_verified = fields.Boolean(required=True)
    body = fields.String(allow_none=True, required=True, metadata={"description": "Null: a tombstone."})
    tombstone = fields.String(allow_none=True)
    anchor = fields.Nested(AnchorOut, allow_none=True, required=True)
    campaign = fields.Nested(CampaignOut, allow_none=True, required=True)
    response = fields.Nested(ResponseOut, allow_none=True, required=True)
    reply_count = fields.Integer(required=True)
    settled = fields.Boolean(
        required=True,
        metadata={
            "description": "False while its grouping and counts are still queued: stored, but it may take a "
            "few minutes to show in listings and counts."
        },
    )
    created_at = fields.DateTime(required=True)
    edited_at = fields.DateTime(allow_none=True)
    url = fields.String(required=True)


class CommentPage(Page):
    items = fields.List(fields.Nested(CommentOut), required=True)


class CommentFilters(PageArgs):
    clause = Text(validate=validate.Length(min=1, max=64), metadata={"description": "Clause key."})
    section = Text(validate=validate.Length(min=1, max=64), metadata={"description": "Section key."})
    passage = fields.Boolean(metadata={"description": "Only comments on a passage (true) or whole clauses."})
    replies = fields.Boolean(load_default=True, metadata={"description": "Include replies."})
    campaign = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    since = fields.AwareDateTime(metadata={"description": "Received at or after (ISO 8601 with zone)."})
    state = fields.String(
        validate=validate.OneOf(["published", "held", "hidden", "withdrawn"]),
        metadata={"description": "Held comments need a staff:read token."},
    )


class QuoteIn(Schema):
    exact = Text(required=True, validate=validate.Length(min=1, max=5000))
    prefix = Text(load_default="", validate=validate.Length(max=200))
    suffix = Text(load_default="", validate=validate.Length(max=200))
    start = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=10**8))


class CommentIn(Schema):
    """A new comment or reply. Anything else in the body (`state`, `author`, `tracking_number`…) is refused."""

    clause_key = Text(validate=validate.Length(min=1, max=64))
    in_reply_to = Text(
        validate=validate.Length(min=1, max=16), metadata={"description": "Tracking number of the comment."}
    )
    body = Text(required=True, validate=validate.Length(min=1, max=20000))
    display_as = Text(
        load_default=DisplayAs.NAME.value,
        validate=validate.OneOf([d.value for d in DisplayAs]),
        metadata={
            "description": "May we publish it: name (with your name), anonymous (without it) or private "
            "(do not publish: the drafting team still reads it; counted, never shown)."
        },
    )
    quote = fields.Nested(QuoteIn, load_default=None, allow_none=True)


class ReceiptOut(Schema):
    tracking_number = fields.String(required=True)
    state = fields.String(required=True)
    message = fields.String(required=True)
    receipt_url = fields.String(required=True)
    comment = fields.Nested(CommentOut, required=True)


class ResponsePage(Page):
    items = fields.List(fields.Nested(ResponseOut), required=True)


class LogEntryOut(Schema):
    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    action = fields.String(required=True)
    tracking_number = fields.String(required=True)
    reason = fields.String(required=True)
    by_system = fields.Boolean(required=True)
    policy = fields.String(allow_none=True)
    version = fields.String(allow_none=True)
    clause_number = fields.String(allow_none=True)


class LogPage(Page):
    items = fields.List(fields.Nested(LogEntryOut), required=True)


class TokenOut(Schema):
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    user = fields.String(required=True)
    created_at = fields.DateTime(required=True)


# --- whole-version submissions -------------------------------------------------------------------------------

SUBMISSION_STATES = [s.value for s in SubmissionState if s is not SubmissionState.DRAFT]


class SubmissionFilters(PageArgs):
    section = Text(
        validate=[validate.Length(min=1, max=64), validate.Regexp(r"^[A-Za-z0-9_-]+$")],
        metadata={"description": "Section key: submissions that say they are about this section."},
    )
    submitter_kind = fields.String(validate=validate.OneOf([k.value for k in SubmitterKind]))
    organisation_kind = fields.String(
        validate=validate.OneOf([k.value for k in OrganisationKind]),
        metadata={"description": "Only organisations of this kind."},
    )
    channel = fields.String(validate=validate.OneOf([c.value for c in Channel]))
    since = fields.AwareDateTime(metadata={"description": "Sent at or after (ISO 8601 with zone)."})
    state = fields.String(
        validate=validate.OneOf(SUBMISSION_STATES),
        metadata={"description": "Anything but `published` needs a staff:read token."},
    )


class OrganisationOut(Schema):
    name = fields.String(allow_none=True, required=True, metadata={"description": "Null: not to be named."})
    kind = fields.String(allow_none=True, required=True)
    kind_label = fields.String(required=True)
    confirmed = fields.Boolean(required=True, metadata={"description": "Staff confirmed it with them."})


class AnswerOut(Schema):
    question_id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    prompt = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["single", "multiple", "agree", "text"]})
    choices = fields.List(fields.String(), required=True)
    text = fields.String(allow_none=True, required=True)


class AttachmentOut(Schema):
    filename = fields.String(required=True)
    kind = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    page_count = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"description": "A download (never shown inline)."})


class RedactionOut(Schema):
    reason = fields.String(required=True)
    passage = fields.String(metadata={"description": "Staff tokens only."})


class SubmissionOut(Schema):
    tracking_number = fields.String(required=True)
    policy = fields.String(required=True)
    version = fields.String(required=True)
    state = fields.String(required=True, metadata={"enum": SUBMISSION_STATES})
    channel = fields.String(required=True)
    consent = fields.String(required=True, metadata={"enum": [c.value for c in Consent]})
    author = fields.String(required=True, metadata={"description": "The name shown: consent-respecting."})
    submitter_kind = fields.String(required=True)
    organisation = fields.Nested(OrganisationOut, allow_none=True, required=True)
    region = fields.String(allow_none=True, required=True)
    body = fields.String(
        required=True, metadata={"description": "Redacted passages replaced for the public."}
    )
    section_keys = fields.List(fields.String(), required=True)
    answers = fields.List(fields.Nested(AnswerOut), required=True)
    attachments = fields.List(
        fields.Nested(AttachmentOut),
        required=True,
        metadata={"description": "Empty unless the files may be downloaded by this reader."},
    )
    redactions = fields.List(fields.Nested(RedactionOut), required=True)
    received_on = fields.Date(allow_none=True, required=True, metadata={"description": "Offline ones."})
    submitted_at = fields.DateTime(allow_none=True, required=True)
    edited_at = fields.DateTime(allow_none=True, required=True)
    url = fields.String(required=True)
    receipt_url = fields.String(required=True)
    account = fields.String(allow_none=True, metadata={"description": "Staff tokens only."})
    contact = fields.String(allow_none=True, metadata={"description": "Staff tokens only."})
    moderation_reason = fields.String(allow_none=True, metadata={"description": "Staff tokens only."})


class SubmissionPage(Page):
    items = fields.List(fields.Nested(SubmissionOut), required=True)


class SubmissionIn(Schema):
    """A new submission. Anything else in the body (`state`, `channel`, `tracking_number`…) is refused."""

    body = Text(load_default="", validate=validate.Length(max=50000))
    consent = fields.String(required=True, validate=validate.OneOf([c.value for c in Consent]))
    submitter_kind = fields.String(
        load_default=SubmitterKind.INDIVIDUAL.value, validate=validate.OneOf([k.value for k in SubmitterKind])
    )
    organisation_name = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    organisation_kind = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf([k.value for k in OrganisationKind])
    )
    region = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))
    section_keys = fields.List(
        Text(validate=validate.Length(min=1, max=64)), load_default=list, validate=validate.Length(max=100)
    )
    answers = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[0-9]{1,10}$")),
        values=AnswerValue(
            metadata={
                "oneOf": [
                    {"type": "string", "maxLength": 10000},
                    {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 20},
                ]
            }
        ),
        load_default=dict,
        validate=lambda answers: len(answers) <= 50,
        metadata={
            "maxProperties": 50,
            "description": "Question id → the chosen option (a string), several (a list, multiple choice), "
            "or the text typed (free-text questions). Question ids are in the results.",
        },
    )


class SubmissionReceiptOut(Schema):
    tracking_number = fields.String(required=True)
    state = fields.String(required=True)
    message = fields.String(required=True)
    receipt_url = fields.String(required=True)
    submission = fields.Nested(SubmissionOut, required=True)


class AttachmentUploadIn(Schema):
    file = Upload(
        required=True,
        metadata={
            "description": "One PDF, DOCX, ODT or TXT file (its type is read from its content, not its name); "
            "at most 10 MB, and 5 files to a submission, unless the site says otherwise."
        },
    )


class AttachmentReceiptOut(Schema):
    message = fields.String(required=True)
    attachment = fields.Nested(AttachmentOut, required=True)
    submission = fields.Nested(SubmissionOut, required=True)


class CountOut(Schema):
    option = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)
    percent = fields.Float(
        required=True, metadata={"description": "Of the people who answered the question."}
    )


class QuestionResultOut(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    prompt = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["single", "multiple", "agree", "text"]})
    required = fields.Boolean(required=True)
    section_key = fields.String(allow_none=True, required=True)
    clause_key = fields.String(allow_none=True, required=True)
    answered = fields.Integer(required=True, metadata={"description": "People who answered (all counted)."})
    counts = fields.List(fields.Nested(CountOut), allow_none=True, required=True)
    published_answers = fields.Integer(allow_none=True, required=True)
    answers_url = fields.String(allow_none=True, required=True)


class ResultsOut(Schema):
    policy = fields.String(required=True)
    version = fields.String(required=True)
    visible = fields.Boolean(
        required=True,
        metadata={"description": "False while the period is open unless the version shows results live."},
    )
    message = fields.String(allow_none=True, required=True)
    questions = fields.List(fields.Nested(QuestionResultOut), required=True)


class TextAnswerOut(Schema):
    id = fields.Integer(required=True)
    tracking_number = fields.String(required=True)
    author = fields.String(required=True)
    text = fields.String(required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)


class TextAnswerPage(Page):
    items = fields.List(fields.Nested(TextAnswerOut), required=True)


class LogArgs(CursorArgs):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
