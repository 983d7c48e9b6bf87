"""Submission use cases: save (as a draft, or send) a submission on a version, its answers and attachments;
set a version's questions; confirm an organisation; moderate a submission.

Each takes the session first, flushes and never commits. The period, the duplicate rule, the moderation mode and
the tracking number are the comments' (`app.comments.periods`, `campaigns.fingerprint`, the policy's moderation
mode, `new_tracking_number`), so a submission is refused for the same reasons and in the same words. Staff
intake (`app.intake.services`) and the API call `record_submission`, the one function that writes one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.boundary import after_commit
from app.comments import campaigns
from app.comments.periods import period_status
from app.drafts.rendering import render_comment
from app.drafts.services import replace_questions
from app.models import (
    Answer,
    Attachment,
    Channel,
    Clause,
    Comment,
    Consent,
    ModerationMode,
    OrganisationKind,
    Question,
    Role,
    Section,
    Submission,
    SubmissionState,
    SubmitterKind,
    User,
    Version,
    Viewer,
    audit,
)
from app.models.base import utcnow
from app.submissions import extraction, filetypes, storage
from app.submissions.errors import (
    AttachmentRefusedError,
    DuplicateSubmissionError,
    NotSubmitterError,
    QuestionsInputError,
    SubmissionInputError,
    SubmissionsClosedError,
    SubmissionStateError,
)
from app.submissions.questions import MULTIPLE, TEXT, QuestionsError, QuestionSpec, parse_questions
from app.text import TextError, clean_text

MAX_BODY_CHARS = 50_000
MAX_ANSWER_CHARS = 10_000
MAX_NAME_CHARS = 200
MAX_REGION_CHARS = 100
MAX_FILENAME_CHARS = 200

__all__ = [
    "SubmissionInput",
    "Upload",
    "confirm_organisation",
    "moderate_submission",
    "own_submission",
    "record_submission",
    "save_submission",
    "send_new_submission",
    "set_questions",
]


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name it was sent with (shown only) and its bytes."""

    filename: str
    data: bytes
    is_original_scan: bool = False


@dataclass
class SubmissionInput:
    """What a submission form (or a row of an import, or the API) sent, before it is checked."""

    body: str | None = ""
    consent: str | None = Consent.NAMED.value
    submitter_kind: str | None = SubmitterKind.INDIVIDUAL.value
    organisation_name: str | None = None
    organisation_kind: str | None = None
    region: str | None = None
    section_keys: Sequence[str] = ()
    # question id -> chosen options (single, multiple, agree) or the text typed (text)
    answers: dict[int, list[str] | str] = field(default_factory=dict)
    uploads: Sequence[Upload] = ()
    remove_attachment_ids: Sequence[int] = ()


@dataclass(frozen=True)
class Credit:
    """Who a submission is credited to and how it arrived (an online one: the signed-in person)."""

    name: str
    user_id: int | None = None
    contact: str | None = None
    channel: str = Channel.ONLINE.value
    received_on: dt.date | None = None
    entered_by_id: int | None = None
    email: str | None = None  # where the receipt goes (an online submitter's account email)


# --- reading what was sent -----------------------------------------------------------------------------


def _clean(value: str | None, what: str, limit: int, field_name: str, **kwargs: bool) -> str:
    try:
        return clean_text(value, what, limit, field=field_name, **kwargs)
    except TextError as error:
        raise SubmissionInputError(error.message, field_name) from None


_VALUES: dict[type, frozenset[str]] = {
    kind: frozenset(v.value for v in kind) for kind in (Consent, SubmitterKind, OrganisationKind)
}


def _choice(
    value: str | None, allowed: type[Consent | SubmitterKind | OrganisationKind], message: str, name: str
) -> str:
    if value not in _VALUES[allowed]:
        raise SubmissionInputError(str(message), name)
    return str(value)


@dataclass(frozen=True)
class _Checked:
    body: str
    consent: str
    kind: str
    organisation_name: str | None
    organisation_kind: str | None
    region: str | None
    section_keys: list[str]
    answers: dict[int, tuple[list[str], str | None]]


# Field names and refusals are translated only when shown: a bulk import checks thousands of rows, and
# translating each label for every row (eagerly) was a fifth of its time.
_LABEL_BODY = _l("your submission")
_LABEL_REGION = _l("the region")
_LABEL_ORGANISATION = _l("the organisation's name")
_LABEL_ANSWER = _l("your answer")
_CHOOSE_CONSENT = _l("Choose whether we may publish your submission.")
_CHOOSE_KIND = _l("Choose whether you submit as yourself or for an organisation.")
_CHOOSE_ORGANISATION_KIND = _l("Choose what kind of organisation it is.")


def _check(
    session: Session,
    version: Version,
    data: SubmissionInput,
    sending: bool,
    questions: list[Question] | None = None,
) -> _Checked:
    body = _clean(data.body, _LABEL_BODY, MAX_BODY_CHARS, "body", required=False)
    consent = _choice(data.consent, Consent, _CHOOSE_CONSENT, "consent")
    kind = _choice(data.submitter_kind, SubmitterKind, _CHOOSE_KIND, "submitter_kind")
    org_name = org_kind = None
    region = (
        _clean(
            data.region,
            _LABEL_REGION,
            MAX_REGION_CHARS,
            "region",
            required=False,
            multiline=False,
            name=True,
        )
        or None
    )
    if kind == SubmitterKind.ORGANISATION.value:
        org_name = _clean(
            data.organisation_name,
            _LABEL_ORGANISATION,
            MAX_NAME_CHARS,
            "organisation_name",
            multiline=False,
            name=True,
        )
        org_kind = _choice(
            data.organisation_kind, OrganisationKind, _CHOOSE_ORGANISATION_KIND, "organisation_kind"
        )
    keys = _section_keys(session, version, data.section_keys)
    answers = _answers(session, version, data.answers, sending, questions)
    if sending and not body and not answers and not data.uploads:
        raise SubmissionInputError(
            _("Write your submission, answer a question or attach a file before you send it.")
        )
    return _Checked(body, consent, kind, org_name, org_kind, region, keys, answers)


def _section_keys(session: Session, version: Version, raw: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(k for k in raw if k))
    if not wanted:
        return []
    known = set(session.scalars(select(Section.key).where(Section.version_id == version.id)))
    if any(k not in known for k in wanted):
        raise SubmissionInputError(_("Choose sections of this version only."), "section_keys")
    return wanted


def version_questions(session: Session, version: Version) -> list[Question]:
    return list(
        session.scalars(select(Question).where(Question.version_id == version.id).order_by(Question.position))
    )


def _answers(
    session: Session,
    version: Version,
    raw: dict[int, list[str] | str],
    sending: bool,
    questions: list[Question] | None = None,
) -> dict[int, tuple[list[str], str | None]]:
    if questions is None:
        questions = version_questions(session, version)
    known = {q.id for q in questions}
    if any(qid not in known for qid in raw):
        raise SubmissionInputError(_("Answer the questions of this version only."), "answers")
    out: dict[int, tuple[list[str], str | None]] = {}
    for question in questions:
        name = f"q{question.id}"
        value = raw.get(question.id)
        if question.kind == TEXT:
            text = value if isinstance(value, str) else ""
            cleaned = _clean(text, _LABEL_ANSWER, MAX_ANSWER_CHARS, name, required=False)
            if cleaned:
                out[question.id] = ([], cleaned)
        else:
            chosen = [value] if isinstance(value, str) else list(value or [])
            chosen = [c for c in chosen if c]
            spec = QuestionSpec(kind=question.kind, prompt=question.prompt, choices=tuple(question.choices))
            if any(c not in spec.options() for c in chosen):
                raise SubmissionInputError(_("Choose one of the answers listed."), name)
            if len(chosen) > 1 and question.kind != MULTIPLE:
                raise SubmissionInputError(_("Choose one answer only."), name)
            if chosen:
                out[question.id] = (list(dict.fromkeys(chosen)), None)
        if sending and question.required and question.id not in out:
            raise SubmissionInputError(
                _("This question needs an answer: %(prompt)s", prompt=question.prompt), name
            )
    return out


REFUSAL_MESSAGES = {
    "unknown_type": lambda: _(
        "We take PDF, Word (.docx), OpenDocument text (.odt) and plain-text files only."
    ),
    "encrypted": lambda: _("This file is encrypted or password-protected. Send a copy without a password."),
    "malformed": lambda: _(
        "This file is damaged or not what its type says. Save it again and send the copy."
    ),
    "zip_bomb": lambda: _(
        "This file unpacks to far more than it holds. Save it again as an ordinary document."
    ),
    "macros": lambda: _("This file carries macros or scripts. Save it as an ordinary document without them."),
    "xml_entities": lambda: _(
        "This file declares XML entities, which we do not accept. Save it again from your word processor."
    ),
    "polyglot": lambda: _(
        "This file looks like two kinds of file at once. Save it again as one ordinary document."
    ),
    "empty": lambda: _("This file is empty."),
}


@dataclass(frozen=True)
class _Accepted:
    upload: Upload
    kind: str
    digest: str


def _check_uploads(uploads: Sequence[Upload], already: int, limits: storage.Limits) -> list[_Accepted]:
    if already + len(uploads) > limits.max_files:
        raise AttachmentRefusedError(
            _("Attach at most %(count)s files to one submission.", count=limits.max_files)
        )
    accepted = []
    for upload in uploads:
        name = _display_filename(upload.filename)
        if len(upload.data) > limits.max_bytes:
            raise AttachmentRefusedError(
                _("%(name)s is larger than %(mb)s MB.", name=name, mb=f"{limits.max_bytes / storage.MB:g}")
            )
        try:
            sniffed = filetypes.sniff(upload.data)
        except filetypes.RefusedFile as refused:
            raise AttachmentRefusedError(f"{name}: {REFUSAL_MESSAGES[refused.reason]()}") from None
        accepted.append(_Accepted(upload, sniffed.kind, storage.content_hash(upload.data)))
    return accepted


def _display_filename(raw: str) -> str:
    """The name a file was sent with, for showing only: no path, no control characters, bounded."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return (name.strip() or "attachment")[:MAX_FILENAME_CHARS]


def _attach(
    session: Session, submission: Submission, accepted: list[_Accepted], limits: storage.Limits
) -> None:
    later: list[int] = []
    for item in accepted:
        storage.store(item.upload.data)
        attachment = Attachment(
            submission=submission,
            content_hash=item.digest,
            filename=_display_filename(item.upload.filename),
            kind=item.kind,
            size_bytes=len(item.upload.data),
            is_original_scan=item.upload.is_original_scan,
        )
        session.add(attachment)
        if len(item.upload.data) <= limits.extract_inline_bytes:
            extract_now(attachment, item.upload.data)
        else:
            session.flush()
            later.append(attachment.id)
    if later:
        from app.submissions.jobs import extract_later

        after_commit(lambda: extract_later(later))


def extract_now(attachment: Attachment, data: bytes) -> None:
    """Extract an attachment's text into its row (a failure is recorded, never raised)."""
    try:
        found = extraction.extract(attachment.kind, data)
    except Exception:  # a damaged file must not fail the submission it came with
        attachment.extraction = "failed"
        return
    attachment.text = found.text
    attachment.page_count = found.pages
    attachment.extraction = "done"


# --- saving and sending --------------------------------------------------------------------------------


def _initial_state(version: Version) -> str:
    if version.policy.moderation == ModerationMode.PRE.value:
        return SubmissionState.HELD.value
    return SubmissionState.PUBLISHED.value


def _require_open(version: Version, now: dt.datetime) -> None:
    status = period_status(version, now)
    if not status.is_open:
        raise SubmissionsClosedError(status.message)


def own_submission(session: Session, user: User, version: Version) -> Submission | None:
    """The person's one online submission on `version` (draft or sent), if any."""
    return session.scalar(
        select(Submission)
        .where(
            Submission.user_id == user.id,
            Submission.version_id == version.id,
            Submission.channel == Channel.ONLINE.value,
            Submission.state != SubmissionState.WITHDRAWN.value,
        )
        .order_by(Submission.id)
        .limit(1)
    )


def save_submission(
    session: Session,
    viewer: Viewer,
    version: Version,
    data: SubmissionInput,
    send: bool,
    now: dt.datetime | None = None,
) -> Submission:
    """Save the signed-in person's submission on `version` as a draft, or send it; edit it while the period is open."""
    now = now or utcnow()
    if not isinstance(viewer, User) or not viewer.is_authenticated:
        raise NotSubmitterError(_("Sign in to make a submission."))
    _require_open(version, now)
    existing = own_submission(session, viewer, version)
    credit = Credit(name=viewer.display_name, user_id=viewer.id, email=viewer.email)
    return record_submission(session, version, data, credit, send=send, existing=existing, now=now)


def send_new_submission(
    session: Session, user: User, version: Version, data: SubmissionInput, now: dt.datetime | None = None
) -> Submission:
    """Send `user`'s submission on `version` at once (the API): the form's rules, and one per person per version.

    The form saves and edits the person's one submission; a program posting a new one never overwrites it (nor a
    draft kept to finish on the site), so the second is refused with the first one's tracking number.
    """
    now = now or utcnow()
    _require_open(version, now)
    existing = own_submission(session, user, version)
    if existing is not None:
        if existing.is_draft:
            message = _(
                "You have a draft submission on this version (%(number)s). Finish it on the site: each person makes one submission per version.",
                number=existing.tracking_number,
            )
        else:
            message = _(
                "You have already sent a submission on this version (%(number)s). You can change it on the site until the period closes.",
                number=existing.tracking_number,
            )
        raise SubmissionStateError(message)
    return save_submission(session, user, version, data, send=True, now=now)


def add_attachments(
    session: Session,
    user: User,
    submission: Submission,
    uploads: Sequence[Upload],
    now: dt.datetime | None = None,
) -> list[Attachment]:
    """Attach files to `user`'s own online submission while its period is open (the API); return the new ones.

    The form's checks, limits and refusals (`_check_uploads`): decided by content, at most the configured size
    and count per submission counting those it has; nothing is stored when any file is refused.
    """
    now = now or utcnow()
    if submission.user_id != user.id or submission.channel != Channel.ONLINE.value:
        raise NotSubmitterError(_("Only the person who made a submission can attach files to it."))
    if submission.state == SubmissionState.WITHDRAWN.value:
        raise SubmissionStateError(_("This submission was withdrawn: files cannot be attached to it."))
    _require_open(submission.version, now)
    limits = storage.limits()
    accepted = _check_uploads(uploads, len(submission.attachments), limits)
    before = list(submission.attachments)
    if not submission.is_draft:
        submission.edited_at = now
    _attach(session, submission, accepted, limits)
    session.flush()
    return [a for a in submission.attachments if a not in before]


def record_submission(
    session: Session,
    version: Version,
    data: SubmissionInput,
    credit: Credit,
    send: bool = True,
    existing: Submission | None = None,
    now: dt.datetime | None = None,
    actor: User | None = None,
    mail_receipt: bool = True,
    questions: list[Question] | None = None,
) -> Submission:
    """Write one submission (new, or `existing` changed): the one place every channel stores one.

    The caller has checked the period (online: open now; offline: received in time). Nothing is stored when
    anything is refused: every check runs before the first write.
    """
    now = now or utcnow()
    limits = storage.limits()
    sending = send or (existing is not None and not existing.is_draft)
    checked = _check(session, version, data, sending, questions)
    kept = [
        a for a in (existing.attachments if existing else []) if a.id not in set(data.remove_attachment_ids)
    ]
    accepted = _check_uploads(data.uploads, len(kept), limits)
    digest = campaigns.fingerprint(checked.body)
    if sending:
        _refuse_duplicate(session, version, credit, digest, checked.body, existing)

    submission = existing or Submission(
        version=version,
        # Empty collections, so a new row is never lazy-loaded for them after its flush (an import writes many).
        answers=[],
        attachments=[],
        redactions=[],
        user_id=credit.user_id,
        entered_by_id=credit.entered_by_id,
        channel=credit.channel,
        received_on=credit.received_on,
        submitter_contact=credit.contact,
        state=SubmissionState.DRAFT.value,
        created_at=now,
    )
    submission.submitter_name = credit.name
    submission.body = checked.body
    submission.body_html = render_comment(checked.body) if checked.body else ""
    submission.consent = checked.consent
    submission.submitter_kind = checked.kind
    submission.organisation_name = checked.organisation_name
    submission.organisation_kind = checked.organisation_kind
    submission.region = checked.region
    submission.section_keys = checked.section_keys
    submission.fingerprint_hash = digest
    if existing is None:
        session.add(submission)
    elif not existing.is_draft:
        submission.edited_at = now
    first_send = sending and submission.is_draft
    if first_send:
        submission.state = _initial_state(version)
        submission.submitted_at = now
    session.flush()

    for attachment in list(submission.attachments):
        if attachment not in kept:
            submission.attachments.remove(attachment)
    by_question = {a.question_id: a for a in submission.answers}
    for question_id, (choices, text) in checked.answers.items():
        answer = by_question.pop(question_id, None) or Answer(submission=submission, question_id=question_id)
        answer.choices = choices
        answer.text = text
        session.add(answer)
    for stale in by_question.values():
        submission.answers.remove(stale)
    _attach(session, submission, accepted, limits)
    if actor is not None:
        audit(session, actor, "submission.entered", "submission", submission.id, "", channel=credit.channel)
    session.flush()
    if first_send and mail_receipt:
        from app.submissions.receipts import mail_receipt_after_commit

        mail_receipt_after_commit(submission, credit.email or credit.contact)
    return submission


def sent_fingerprints(session: Session, version: Version) -> dict[tuple[str, str], int]:
    """(lower-cased name, fingerprint) -> id of every sent submission on `version` with words, for one import.

    The same pairs `_refuse_duplicate` asks for one at a time (an offline submission is matched by name).
    """
    rows = session.execute(
        select(Submission.id, Submission.submitter_name, Submission.fingerprint_hash).where(
            Submission.version_id == version.id,
            Submission.body != "",
            Submission.state.not_in([SubmissionState.DRAFT.value, SubmissionState.WITHDRAWN.value]),
        )
    )
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        seen.setdefault((row.submitter_name.lower(), row.fingerprint_hash), row.id)
    return seen


DUPLICATE_WINDOW = dt.timedelta(days=1)


def _refuse_duplicate(
    session: Session, version: Version, credit: Credit, digest: str, body: str, existing: Submission | None
) -> None:
    """The same words from the same person (account, or name for offline ones) on one version are taken once."""
    if not body:
        return
    query = select(Submission).where(
        Submission.version_id == version.id,
        Submission.fingerprint_hash == digest,
        Submission.state.not_in([SubmissionState.DRAFT.value, SubmissionState.WITHDRAWN.value]),
    )
    if credit.user_id is not None:
        query = query.where(Submission.user_id == credit.user_id)
    else:
        query = query.where(func.lower(Submission.submitter_name) == credit.name.lower())
    if existing is not None and existing.id is not None:
        query = query.where(Submission.id != existing.id)
    first = session.scalar(query.order_by(Submission.id).limit(1))
    if first is not None:
        raise DuplicateSubmissionError(_("This submission is already in."), first)


# --- questions -----------------------------------------------------------------------------------------

QUESTION_PROBLEMS = {
    "too_big": lambda: _("The questions are too long to read."),
    "yaml": lambda: _("The questions could not be read: write them as a list, one '- ask:' per question."),
    "not_list": lambda: _("Write the questions as a list: each one starts with '- ask:'."),
    "too_many": lambda: _("A version may have at most 50 questions."),
    "not_mapping": lambda: _("Each question needs 'ask:' and 'kind:' lines."),
    "unknown_key": lambda: _("Use only ask (or prompt), kind, choices, required, section and clause."),
    "alias_twice": lambda: _("Write the question once, with 'ask:' or with 'prompt:'."),
    "bad_kind": lambda: _("The kind must be single, multiple, agree (or agree5) or text."),
    "few_choices": lambda: _("A single or multiple choice question needs at least two choices."),
    "many_choices": lambda: _("A question may have at most 20 choices."),
    "duplicate_choice": lambda: _("Each choice must be different."),
    "choices_not_allowed": lambda: _("Only single and multiple choice questions have choices."),
    "bad_required": lambda: _("'required' must be true or false."),
    "section_and_clause": lambda: _("Tie a question to a section or to a clause, not both."),
    "not_text": lambda: _("Write the question and its choices as text."),
    "empty": lambda: _("A question or choice is empty."),
    "too_long": lambda: _("A question or choice is too long."),
    "control": lambda: _("A question contains characters that could not be read."),
    "bad_key": lambda: _("A section or clause must be given by its key, such as purpose-1."),
}


def _questions_error(error: QuestionsError) -> QuestionsInputError:
    message = QUESTION_PROBLEMS.get(error.problem, QUESTION_PROBLEMS["yaml"])()
    if error.item:
        message = _("Question %(number)s: %(problem)s", number=error.item, problem=message)
    return QuestionsInputError(message)


def set_questions(
    session: Session, drafter: User, version: Version, source: str | None, results_live: bool = False
) -> list[Question]:
    """Replace a version's questions with the ones written in `source` (YAML), before anyone has answered."""
    if not drafter.has_role(Role.DRAFTER):
        raise NotSubmitterError(_("Only drafters set a version's questions."))
    try:
        specs = parse_questions((source or "").replace("\r\n", "\n"))
    except QuestionsError as error:
        raise _questions_error(error) from None
    sections = set(session.scalars(select(Section.key).where(Section.version_id == version.id)))
    clauses = set(session.scalars(select(Clause.key).where(Clause.version_id == version.id)))
    for number, spec in enumerate(specs, start=1):
        if (spec.section_key and spec.section_key not in sections) or (
            spec.clause_key and spec.clause_key not in clauses
        ):
            raise QuestionsInputError(
                _("Question %(number)s: this version has no such section or clause.", number=number)
            )
    current = version_questions(session, version)
    answered = (
        session.scalar(
            select(func.count()).select_from(Answer).where(Answer.question_id.in_([q.id for q in current]))
        )
        if current
        else 0
    )
    wanted = [(s.kind, s.prompt, list(s.choices), s.required, s.section_key, s.clause_key) for s in specs]
    have = [(q.kind, q.prompt, list(q.choices), q.required, q.section_key, q.clause_key) for q in current]
    if answered and wanted != have:
        raise SubmissionStateError(
            _("People have answered these questions already, so they can no longer change.")
        )
    version.question_results_live = bool(results_live)
    if wanted != have:
        replace_questions(session, version, specs)
    audit(
        session,
        drafter,
        "questions.set",
        "version",
        version.id,
        "",
        count=len(specs),
        live=bool(results_live),
    )
    session.flush()
    return version_questions(session, version)


# --- staff actions -------------------------------------------------------------------------------------


def confirm_organisation(
    session: Session, staff: User, submission: Submission, now: dt.datetime | None = None
) -> Submission:
    """Record that staff contacted the organisation and it stands behind the submission."""
    if not submission.is_organisation:
        raise SubmissionStateError(_("This submission is not from an organisation."))
    if submission.organisation_confirmed_at is None:
        submission.organisation_confirmed_at = now or utcnow()
        submission.organisation_confirmed_by_id = staff.id
        audit(session, staff, "submission.organisation_confirmed", "submission", submission.id)
        session.flush()
    return submission


MODERATION_MOVES = {
    "approve": ({SubmissionState.HELD.value}, SubmissionState.PUBLISHED.value, "submission.approved"),
    "hide": (
        {SubmissionState.PUBLISHED.value, SubmissionState.HELD.value},
        SubmissionState.HIDDEN.value,
        "submission.hidden",
    ),
    "restore": ({SubmissionState.HIDDEN.value}, SubmissionState.PUBLISHED.value, "submission.restored"),
}


def moderate_submission(
    session: Session, moderator: User, submission: Submission, action: str, reason: str | None = None
) -> Submission:
    """Approve a held submission, hide one (with a public reason) or restore a hidden one; audited."""
    if not moderator.has_role(Role.MODERATOR):
        raise NotSubmitterError(_("Only moderators do this."))
    move = MODERATION_MOVES.get(action)
    if move is None:
        raise SubmissionInputError(_("Choose approve, hide or restore."), "action")
    sources, target, event = move
    if submission.state not in sources:
        raise SubmissionStateError(_("This submission cannot be moved that way from where it is."))
    text = ""
    if action == "hide":
        text = _clean(reason, _("a reason"), 500, "reason")
    submission.state = target
    submission.moderation_reason = text or None
    submission.moderated_at = utcnow()
    submission.moderated_by_id = moderator.id
    audit(session, moderator, event, "submission", submission.id, text)
    session.flush()
    return submission


# --- redaction -----------------------------------------------------------------------------------------


Redactable = Submission | Comment | Answer


def redact_passage(
    session: Session, staff: User, target: Redactable, passage: str | None, reason: str | None
) -> Redactable:
    """Hide a passage of a submission's text, a clause comment's or a free-text answer's from the public
    behind "[redacted: reason]"; staff and its writer still read it; audited."""
    from app.models import Redaction, RedactionReason
    from app.submissions.visibility import original_text

    if not staff.has_role(Role.MODERATOR, Role.REVIEWER):
        raise NotSubmitterError(_("Only moderators and reviewers redact."))
    if isinstance(target, Answer) and target.text is None:
        raise SubmissionInputError(_("Only a written answer has words to redact."), "passage")
    text = (passage or "").replace("\r\n", "\n").strip()
    if not text:
        raise SubmissionInputError(_("Copy the passage to redact, exactly as it is written."), "passage")
    if text not in original_text(target):
        raise SubmissionInputError(_("That passage is not in this text. Copy it exactly."), "passage")
    if reason not in {r.value for r in RedactionReason}:
        raise SubmissionInputError(_("Choose why the passage is redacted."), "reason")
    target.redactions.append(Redaction(passage=text, reason=str(reason), redacted_by_id=staff.id))
    kind = _redaction_kind(target)
    if isinstance(target, Submission):
        # Its words as shown changed: the search index takes the redacted text.
        flag_modified(target, "body")
        version = target.version
    else:
        target.redaction_count = len(target.redactions)  # the watched column: the index follows it
        version = target.version if isinstance(target, Comment) else target.submission.version
    audit(session, staff, f"{kind}.redacted", kind, target.id, str(reason), passage_chars=len(text))
    # The version's pages count and show its contributions: render them again without the passage.
    from app.caching import touch

    touch(
        session,
        f"comments:{version.policy.slug}/{version.slug}",
        f"version:{version.policy.slug}/{version.slug}",
        hard=True,
    )
    session.flush()
    return target


def _redaction_kind(target: Submission | Comment | Answer) -> str:
    """The audit log's name for what was redacted."""
    if isinstance(target, Submission):
        return "submission"
    return "comment" if isinstance(target, Comment) else "answer"
