"""Use cases of a consultation's team: create a consultation with its first draft, describe it, attach documents.

Each function takes the session first, flushes and never commits; refusals are ConsultationError (an
InputError, 422) naming the form field they belong to. The first draft goes through the one parser and
`store_version`, exactly as an imported file or a drafter's upload does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

import yaml
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from app.consultations import word
from app.drafting.services import write_missing_keys
from app.drafts.parsing import NZ, Document, DraftParseError, decode_draft, parse_draft, slugify
from app.drafts.services import store_version
from app.exceptions import InputError
from app.models import Policy, PolicyDocument, User, Version, VersionStatus, audit
from app.text import TextError, clean_text

MAX_TITLE = 300
MAX_SUMMARY = 4000
MAX_AGENCY = 200
MAX_TEXT = 8000
MAX_LABEL = 200
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024  # under the request limit (MAX_CONTENT_LENGTH, 3 MB)
MAX_DOCUMENTS = 30
EMAIL_RE = re.compile(r"^[^@\s<>\"]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,63}$")
URL_RE = re.compile(r"^https?://[^\s<>\"']{1,1990}$", re.IGNORECASE)
FRONT_MATTER_RE = re.compile(r"\A\ufeff?---[ \t]*\n.*?\n---[ \t]*(\n|\Z)", re.DOTALL)


class ConsultationError(InputError):
    """A consultation form that cannot be accepted; the message goes beside the field it names."""

    code = "consultation-refused"


@dataclass(frozen=True)
class Details:
    """How a consultation describes itself, checked."""

    title: str
    summary: str = ""
    agency: str = ""
    contact_name: str = ""
    contact_email: str = ""
    why: str = ""
    next_steps: str = ""


def _clean(value: str | None, what: str, limit: int, field: str, *, multiline: bool, required: bool) -> str:
    try:
        return clean_text(value, what, limit, field=field, multiline=multiline, required=required)
    except TextError as error:
        raise ConsultationError(error.message, error.field) from None


def check_details(
    title: str | None,
    summary: str | None = "",
    agency: str | None = "",
    contact_name: str | None = "",
    contact_email: str | None = "",
    why: str | None = "",
    next_steps: str | None = "",
) -> Details:
    """Check a consultation's description with the one text validator."""
    email = _clean(
        contact_email, _("the contact email"), 254, "contact_email", multiline=False, required=False
    )
    if email and not EMAIL_RE.match(email):
        raise ConsultationError(_("Enter the contact email like name@agency.govt.nz."), "contact_email")
    return Details(
        title=_clean(title, _("the title"), MAX_TITLE, "title", multiline=False, required=True),
        summary=_clean(summary, _("the summary"), MAX_SUMMARY, "summary", multiline=True, required=False),
        agency=_clean(agency, _("the agency"), MAX_AGENCY, "agency", multiline=False, required=False),
        contact_name=_clean(
            contact_name, _("the contact's name"), MAX_AGENCY, "contact_name", multiline=False, required=False
        ),
        contact_email=email,
        why=_clean(why, _("why you are asking"), MAX_TEXT, "why", multiline=True, required=False),
        next_steps=_clean(
            next_steps, _("what happens next"), MAX_TEXT, "next_steps", multiline=True, required=False
        ),
    )


def check_label(label: str | None) -> str:
    return _clean(
        label, _("the label of the first draft"), MAX_LABEL, "label", multiline=False, required=True
    )


def check_period(opens: dt.datetime | None, closes: dt.datetime | None) -> None:
    if (opens is None) != (closes is None):
        raise ConsultationError(
            _("A comment period needs both an opening and a closing time."), "comments_close"
        )
    if opens is not None and closes is not None and closes <= opens:
        raise ConsultationError(_("The comment period must close after it opens."), "comments_close")


# --- the first draft -------------------------------------------------------------------------------------


def read_upload(data: bytes, filename: str) -> tuple[str, list[str]]:
    """A draft file's text: a Word document converted, or Markdown decoded; with notes on what was left out."""
    if word.looks_like_docx(data, filename):
        converted = convert_word(data, "draft_file")
        return converted.markdown, word_notes(converted)
    if data.startswith(b"%PDF") or b"\x00" in data[:4096] or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ConsultationError(
            _("This is not a text file. Upload the draft as Markdown (.md) or as a Word document (.docx)."),
            "draft_file",
        )
    try:
        return decode_draft(data, filename or "upload"), []
    except DraftParseError as error:
        raise ConsultationError(error.message, "draft_file") from None


def convert_word(data: bytes, field: str) -> word.WordImport:
    """Convert a Word document to a draft body; a refusal names `field` and says why in the reader's language."""
    try:
        return word.docx_to_markdown(data)
    except word.WordImportError as error:
        messages = {
            "too_large": _("This Word document is too large once unpacked."),
            "not_docx": _("This file is not a Word document (.docx)."),
        }
        message = messages.get(error.kind, _("This Word document is damaged and cannot be read."))
        raise ConsultationError(message, field) from None


def word_notes(converted: word.WordImport) -> list[str]:
    """What the Word import left out or moved, in words."""
    words = {
        "tables": _("Tables were left out: add what they said as clauses."),
        "images": _("Images were left out."),
        "introduction": _("Text before the first heading was put in a section called “Introduction”."),
    }
    return [words[note] for note in converted.notes if note in words]


def body_of(text: str) -> str:
    """The Markdown body of a draft: any front matter is dropped (the form's fields replace it)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
    return FRONT_MATTER_RE.sub("", text, count=1).lstrip("\n")


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(NZ).isoformat(timespec="minutes") if moment is not None else None


def draft_source(
    details: Details, label: str, opens: dt.datetime | None, closes: dt.datetime | None, body: str
) -> str:
    """A whole draft file (front matter from the form, then the body) in the format of policy_drafts/."""
    meta: dict[str, object] = {
        "title": details.title,
        "version": label,
        "status": VersionStatus.WORKING.value,
    }
    if details.summary:
        meta["summary"] = " ".join(details.summary.split())
    if opens is not None and closes is not None:
        meta["comments_open"] = _iso(opens)
        meta["comments_close"] = _iso(closes)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1_000_000)
    return f"---\n{front}---\n{body_of(body)}"


def parse_first_draft(source: str) -> Document:
    """Parse a first draft, with explicit keys written in so they stay put through later edits."""
    if not body_of(source).strip():
        raise ConsultationError(
            _("Write the first draft, paste it, or upload it (Markdown or Word)."), "draft_text"
        )
    try:
        document = parse_draft(source, "first-draft.md")
        keyed = write_missing_keys(source, document)
        return parse_draft(keyed, "first-draft.md") if keyed != source else document
    except DraftParseError as error:
        # Lines are counted in the body the drafter sees, not the front matter the form wrote.
        offset = source.count("\n", 0, len(source) - len(body_of(source)))
        line = (error.line or 0) - offset
        where = _("Line %(line)d: ", line=line) if line >= 1 else ""
        raise ConsultationError(where + error.message, "draft_text") from None


def _unique_policy_slug(session: Session, title: str) -> str:
    base = slugify(title)[:90] or "consultation"
    taken = set(session.scalars(select(Policy.slug).where(Policy.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_consultation(
    session: Session,
    actor: User,
    details: Details,
    label: str,
    opens: dt.datetime | None,
    closes: dt.datetime | None,
    body: str,
) -> Version:
    """Create a policy and its first draft as a working version; drafters then edit and publish it."""
    check_period(opens, closes)
    document = parse_first_draft(draft_source(details, label, opens, closes, body))
    policy = Policy(slug=_unique_policy_slug(session, details.title))
    _describe(policy, details)
    session.add(policy)
    session.flush()
    version = store_version(session, policy, document, slugify(label)[:90] or "first-draft", 1, None)
    audit(session, actor, "policy.create", "policy", policy.id, slug=policy.slug, version=version.id)
    session.expire(policy, ["versions"])
    session.flush()
    return version


def _describe(policy: Policy, details: Details) -> None:
    policy.title = details.title
    policy.summary = details.summary
    policy.agency = details.agency
    policy.contact_name = details.contact_name
    policy.contact_email = details.contact_email
    policy.why = details.why
    policy.next_steps = details.next_steps


def describe_consultation(session: Session, actor: User, policy: Policy, details: Details) -> Policy:
    """Change how a consultation describes itself (title, summary, agency, contact, why, what next)."""
    _describe(policy, details)
    audit(session, actor, "policy.describe", "policy", policy.id)
    session.flush()
    return policy


# --- supporting documents ---------------------------------------------------------------------------------

# What an uploaded document may be, decided by its first bytes (never by its name or the browser's word).
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
_ZIP_KINDS = {
    "word/document.xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
    ),
    "xl/workbook.xml": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}


def document_type(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) of an allowed document, from its content; None when it is not one."""
    for magic, media_type, extension in _SIGNATURES:
        if data.startswith(magic):
            return media_type, extension
    if data.startswith(word.DOCX_MAGIC):
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        for member, kind in _ZIP_KINDS.items():
            if member in names:
                return kind
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
        return None
    return "text/plain; charset=utf-8", ".txt"


def _document_title(title: str | None) -> str:
    return _clean(title, _("the document's title"), 300, "title", multiline=False, required=True)


def _next_position(session: Session, policy: Policy) -> int:
    count = session.scalar(select(func.count()).where(PolicyDocument.policy_id == policy.id)) or 0
    if count >= MAX_DOCUMENTS:
        raise ConsultationError(
            _("A consultation can have at most %(n)d supporting documents.", n=MAX_DOCUMENTS), "title"
        )
    last = session.scalar(
        select(func.max(PolicyDocument.position)).where(PolicyDocument.policy_id == policy.id)
    )
    return (last or 0) + 1


def add_link(
    session: Session, actor: User, policy: Policy, title: str | None, url: str | None
) -> PolicyDocument:
    """Add a supporting document that lives elsewhere (an https:// or http:// address)."""
    title = _document_title(title)
    url = (url or "").strip()
    if not URL_RE.match(url):
        raise ConsultationError(_("Enter the document's web address, starting with https://."), "url")
    document = PolicyDocument(
        policy_id=policy.id, position=_next_position(session, policy), title=title, url=url
    )
    session.add(document)
    session.flush()
    audit(session, actor, "policy.document_add", "policy", policy.id, document=document.id, url=url)
    session.expire(policy, ["documents"])
    return document


def add_file(
    session: Session, actor: User, policy: Policy, title: str | None, filename: str, data: bytes
) -> PolicyDocument:
    """Add an uploaded supporting document: PDF, Word, Excel, PNG, JPEG or plain text, at most 2 MB."""
    title = _document_title(title)
    if not data:
        raise ConsultationError(_("Choose a file to upload, or give a web address instead."), "file")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ConsultationError(_("The file is larger than 2 MB."), "file")
    kind = document_type(data)
    if kind is None:
        raise ConsultationError(
            _("Upload a PDF, Word, Excel, PNG, JPEG or plain-text file; this file is none of those."), "file"
        )
    media_type, extension = kind
    stem = secure_filename(filename.rsplit(".", 1)[0] if "." in filename else filename)[:80] or "document"
    document = PolicyDocument(
        policy_id=policy.id,
        position=_next_position(session, policy),
        title=title,
        filename=stem + extension,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
    )
    session.add(document)
    session.flush()
    audit(session, actor, "policy.document_add", "policy", policy.id, document=document.id, bytes=len(data))
    session.expire(policy, ["documents"])
    return document


def remove_document(session: Session, actor: User, document: PolicyDocument) -> None:
    """Remove a supporting document (links and files alike)."""
    policy_id = document.policy_id
    audit(session, actor, "policy.document_remove", "policy", policy_id, document=document.id)
    session.delete(document)
    session.flush()


def keep_open_when_superseded(session: Session, actor: User, version: Version, keep: bool) -> Version:
    """Choose whether a published version keeps taking comments (in its period) once a later one is published."""
    if not version.is_public:
        raise ConsultationError(_("Publish this version first: a working version takes no comments."))
    version.open_when_superseded = keep
    audit(session, actor, "version.keep_open", "version", version.id, keep=keep)
    session.flush()
    return version
