"""The drafters' use cases: start a working version, edit it section by section or upload it, publish it.

Each function takes the session first, flushes and never commits; errors are DraftingError subclasses (domain
errors of `app.exceptions`) whose message is translated and safe to show.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import yaml
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from app.diffing.listing import stored_document
from app.drafting import structure
from app.drafts.parsing import (
    NZ,
    TRAILING_KEY_RE,
    Document,
    DraftParseError,
    content_hash,
    decode_draft,
    parse_draft,
    slugify,
)
from app.drafts.rendering import render_clause
from app.drafts.services import replace_questions, replace_sections, store_version
from app.exceptions import ConflictError, InputError
from app.models import AuditEvent, Policy, User, Version, VersionStatus, audit
from app.models.base import utcnow
from app.notify import events as notify_events
from app.placements.carrying import CarryReport, carry_forward
from app.text import TextError, clean_text

MAX_LABEL = 200
MAX_CHANGE_NOTE = 2000
FENCE_RE = re.compile(r"^\s*(```|~~~)")


class DraftingError(InputError):
    """A drafting action that cannot be done; shown on the drafting problem page unless the view redisplays."""

    # The drafting pages have always answered a refused action with 400 (the details form with 422).
    status = 400
    code = "drafting-refused"
    template = "drafting/problem.html"
    #: Whether the way forward is a new version (the problem page links to it).
    locked = False


class VersionLockedError(ConflictError, DraftingError):
    """The version is published: it can no longer change."""

    code = "version-locked"
    locked = True


class AlreadyPublishedError(VersionLockedError):
    """Publishing a version that is already published."""


class PublishRefusedError(DraftingError):
    """The working version cannot be published; `errors` lists why."""

    status = 422

    def __init__(self, message: str, errors: list[str]) -> None:
        super().__init__(message)
        self.errors = errors


class SourceError(DraftingError):
    """The Markdown does not parse; `line` is relative to what the drafter edited (None when unknown)."""

    status = 422
    code = "bad-source"

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message, "text")
        self.line = line


class EditConflictError(ConflictError, DraftingError):
    """Someone else changed the same text meanwhile: show both texts and keep the drafter's."""

    code = "edit-conflict"

    def __init__(self, message: str, theirs: str, yours: str, revision: int, text_hash: str) -> None:
        super().__init__(message)
        self.theirs = theirs
        self.yours = yours
        self.revision = revision
        self.text_hash = text_hash


def text_hash(text: str) -> str:
    """Hash a piece of source text the way edit forms carry it for optimistic locking."""
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8", "surrogatepass")).hexdigest()


def clean_field(
    value: str, what: str, limit: int, field: str, *, multiline: bool = False, required: bool = True
) -> str:
    """Check a label or a note with the one text validator; refusals are drafting errors (the problem page)."""
    try:
        return clean_text(value, what, limit, field=field, multiline=multiline, required=required)
    except TextError as error:
        raise DraftingError(error.message, error.field) from None


# --- reading a working version ---------------------------------------------------------------------


@dataclass(frozen=True)
class SectionSource:
    """A section's Markdown as it stands in the version's source, with where it sits."""

    key: str
    number: str
    heading: str
    start: int  # 0-based index of its heading line
    end: int  # 0-based index just after its last line
    text: str
    hash: str
    clause_count: int


def parent_document(session: Session, version: Version) -> Document | None:
    """The parent version as stored, for matching unkeyed clauses to the keys comments use."""
    return stored_document(session, version.parent) if version.parent is not None else None


def parse_source(session: Session, version: Version, source: str) -> Document:
    """Parse a version's Markdown with its parent, so unkeyed clauses inherit the parent's keys."""
    return parse_draft(source, f"{version.slug}.md", previous=parent_document(session, version))


def section_sources(session: Session, version: Version) -> list[SectionSource]:
    """Split a version's source into its sections (by the parser's own line numbers)."""
    document = parse_source(session, version, version.source_markdown)
    return _section_sources(version.source_markdown, document)


def _section_sources(source: str, document: Document) -> list[SectionSource]:
    lines = _lines(source)
    starts = [s.line - 1 for s in document.sections]
    out = []
    for index, section in enumerate(document.sections):
        start = starts[index]
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        text = "\n".join(lines[start:end]).strip("\n")
        out.append(
            SectionSource(
                key=section.key,
                number=section.number,
                heading=section.heading,
                start=start,
                end=end,
                text=text,
                hash=text_hash(text),
                clause_count=len(section.clauses),
            )
        )
    return out


def editable_sections(session: Session, version: Version) -> list[SectionSource]:
    """The sections a drafter can open in a working version; none while its source does not parse."""
    if version.status != VersionStatus.WORKING.value:
        return []
    try:
        return section_sources(session, version)
    except DraftParseError:
        return []  # the publish box lists the error; an upload fixes it


def get_section_source(session: Session, version: Version, key: str) -> SectionSource | None:
    return next((s for s in section_sources(session, version) if s.key == key), None)


def _lines(source: str) -> list[str]:
    return source.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff").split("\n")


# --- keys and front matter -------------------------------------------------------------------------


def write_missing_keys(source: str, document: Document) -> str:
    """Write an explicit `{#key}` after every section heading and clause that lacks one, so keys stay put.

    The result is checked: if the keyed text does not parse to the same keys, the source is returned unchanged.
    """
    lines = _lines(source)
    changed = False
    for section in document.sections:
        if not section.explicit_key and section.line:
            lines[section.line - 1] = f"{lines[section.line - 1].rstrip()} {{#{section.key}}}"
            changed = True
        for clause in section.clauses:
            if clause.explicit_key or not clause.line:
                continue
            last = clause.line - 1 + clause.markdown.count("\n")
            # A key after a closing code fence would stop it closing; a hard break would change meaning.
            if FENCE_RE.match(lines[last]) or lines[last].endswith(("\\", "  ")):
                continue
            lines[last] = f"{lines[last].rstrip()} {{#{clause.key}}}"
            changed = True
    if not changed:
        return source
    keyed = "\n".join(lines)
    try:
        again = parse_draft(keyed, document.source)
    except DraftParseError:
        return source
    same = [(s.key, [c.key for c in s.clauses]) for s in again.sections] == [
        (s.key, [c.key for c in s.clauses]) for s in document.sections
    ]
    return keyed if same else source


def with_front_matter(source: str, **changes: Any) -> str:
    """Rewrite some front-matter keys (None removes a key), keeping the others and their order."""
    lines = _lines(source)
    if not lines or lines[0].strip() != "---":
        raise SourceError(_("missing front matter: the file must start with a '---' line"), 1)
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise SourceError(_("front matter is not closed: add a '---' line after it"), 1) from None
    meta, questions = _split_questions(lines[1:close])
    try:
        data = yaml.safe_load("\n".join(meta)) or {}
    except yaml.YAMLError:
        raise SourceError(_("malformed front matter"), 2) from None
    if not isinstance(data, dict):
        raise SourceError(_("front matter must be a mapping of 'key: value' lines"), 2)
    for key, value in changes.items():
        if value is None or value == "":
            data.pop(key, None)
        else:
            data[key] = value
    dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1_000_000).rstrip("\n")
    return "\n".join(["---", dumped, *questions, "---", *lines[close + 1 :]])


def _split_questions(meta: list[str]) -> tuple[list[str], list[str]]:
    """The front-matter lines apart from a `questions:` block, and that block exactly as written.

    The block is kept verbatim: loading and dumping it again would turn a choice written `Yes` into `true`.
    """
    start = next((i for i, line in enumerate(meta) if re.match(r"questions\s*:", line)), None)
    if start is None:
        return meta, []
    end = start + 1
    while end < len(meta) and (not meta[end].strip() or meta[end][0] in " \t-#"):
        end += 1
    return meta[:start] + meta[end:], meta[start:end]


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(NZ).isoformat(timespec="minutes") if moment is not None else None


def from_nz_time(moment: dt.datetime | None) -> dt.datetime | None:
    """A time typed in a form (New Zealand wall-clock time, no zone) as an aware UTC datetime."""
    return moment.replace(tzinfo=NZ).astimezone(dt.UTC) if moment is not None else None


def to_nz_time(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored UTC time as New Zealand wall-clock time for a form's datetime-local field."""
    return moment.astimezone(NZ).replace(tzinfo=None) if moment is not None else None


# --- use cases --------------------------------------------------------------------------------------


def latest_published(session: Session, policy: Policy) -> Version | None:
    """The newest public version of a policy: where a new working version starts from."""
    return session.scalar(
        select(Version)
        .where(Version.policy_id == policy.id, Version.status != VersionStatus.WORKING.value)
        .order_by(Version.position.desc())
        .limit(1)
    )


def _check_label(session: Session, policy: Policy, label: str, version: Version | None = None) -> str:
    label = clean_field(label, _("a label for the version"), MAX_LABEL, "label")
    clash = session.scalar(
        select(Version.id).where(
            Version.policy_id == policy.id,
            func.lower(Version.label) == label.lower(),
            Version.id != (version.id if version is not None else -1),
        )
    )
    if clash is not None:
        raise DraftingError(
            _(
                "Another version of this policy is already called “%(label)s”. Choose another label.",
                label=label,
            ),
            "label",
        )
    return label


def _unique_slug(session: Session, policy: Policy, label: str) -> str:
    base = slugify(label)[:90] or "version"
    taken = set(session.scalars(select(Version.slug).where(Version.policy_id == policy.id)))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def start_working_version(session: Session, policy: Policy, label: str, actor: User) -> Version:
    """Start a working version from the latest published one, with explicit keys written into the copy."""
    # Two starts at once: the second waits here, then finds the first's label taken (one version, not a 500).
    lock_policy(session, policy)
    label = _check_label(session, policy, label)
    parent = latest_published(session, policy)
    if parent is None:
        raise DraftingError(_("This policy has no published version to start from."))
    source = with_front_matter(
        parent.source_markdown,
        version=label,
        status=VersionStatus.WORKING.value,
        date=None,
        change_note=None,
        comments_open=None,
        comments_close=None,
    )
    previous = stored_document(session, parent)
    document = parse_draft(source, "new.md", previous=previous)
    source = write_missing_keys(source, document)
    document = parse_draft(source, "new.md", previous=previous)
    position = (
        session.scalar(select(func.max(Version.position)).where(Version.policy_id == policy.id)) or 0
    ) + 1
    version = store_version(session, policy, document, _unique_slug(session, policy, label), position, parent)
    version.change_note = ""
    audit(session, actor, "version.start", "version", version.id, parent=parent.id, label=label)
    session.expire(policy, ["versions"])
    return version


def ensure_working(version: Version) -> None:
    """Refuse to change a version that is no longer a working version."""
    if version.status != VersionStatus.WORKING.value:
        raise VersionLockedError(
            _(
                "“%(label)s” is published and can no longer be changed. Start a new version to make changes.",
                label=version.label,
            )
        )


def lock_version(session: Session, version: Version) -> Version:
    """Hold the version's row for the rest of the transaction and read it afresh (source and revision).

    Every check-then-write on a working version (save a section, upload, details, structure, publish) takes it
    first, so two at once are one after the other: the second sees the first's revision and is refused as a
    conflict instead of overwriting it. PostgreSQL: `SELECT … FOR UPDATE`. SQLite ignores FOR UPDATE, but its
    writing requests begin IMMEDIATE (app/config.py), which already holds the database's one write lock.
    """
    session.execute(
        select(Version)
        .where(Version.id == version.id)
        .options(undefer(Version.source_markdown))
        .with_for_update(of=Version)
        .execution_options(populate_existing=True)
    ).scalar_one()
    session.expire(version, ["sections"])
    return version


def lock_policy(session: Session, policy: Policy) -> None:
    """Hold a policy's row for the rest of the transaction (starting versions, marking final)."""
    session.execute(
        select(Policy.id)
        .where(Policy.id == policy.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _apply_source(session: Session, version: Version, document: Document) -> None:
    """Store a new source for a working version: rows rewritten, revision bumped."""
    version.source_markdown = document.markdown
    version.content_hash = content_hash(document.markdown)
    version.word_count = document.word_count()
    version.comments_open_at = document.comments_open
    version.comments_close_at = document.comments_close
    version.change_note = document.change_note
    version.revision = (version.revision or 1) + 1
    version.updated_at = utcnow()
    replace_sections(session, version, document)
    session.expire(version, ["sections"])
    if document.questions is not None:
        # The front matter declares the questions: they follow it (a working version has no answers yet).
        replace_questions(session, version, document.questions)


def _parse_keyed(
    session: Session, version: Version, source: str, offset: int = 0, span: int | None = None
) -> Document:
    """Parse, write missing keys, parse again; parse errors carry a line relative to the edited text."""
    try:
        document = parse_source(session, version, source)
    except DraftParseError as error:
        line = error.line
        if line is not None:
            line -= offset
            if line < 1 or (span is not None and line > span):
                line = None
        raise SourceError(error.message, line) from None
    keyed = write_missing_keys(document.markdown, document)
    return parse_source(session, version, keyed) if keyed != document.markdown else document


def _replace_section_text(version: Version, current: SectionSource, new_text: str) -> str:
    lines = _lines(version.source_markdown)
    replacement = [*new_text.split("\n"), ""]  # a blank line before the next section
    return "\n".join(lines[: current.start] + replacement + lines[current.end :])


def check_section_text(text: str) -> str:
    """Normalise an edited section and check that it starts with its `##` heading."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not text.strip():
        raise SourceError(_("The section is empty. Write its '## Heading' line and at least one clause."), 1)
    first = next(line for line in text.split("\n") if line.strip())
    if not first.startswith("## "):
        raise SourceError(_("A section must start with its heading line, like '## Purpose {#purpose}'."), 1)
    return text


def save_section(
    session: Session,
    version: Version,
    section_key: str,
    new_text: str,
    base_revision: int,
    base_hash: str,
    actor: User,
) -> Version:
    """Save one edited section of a working version, refusing if someone else changed it meanwhile."""
    lock_version(session, version)
    ensure_working(version)
    sources = section_sources(session, version)
    current = next((s for s in sources if s.key == section_key), None)
    if current is None:
        raise EditConflictError(
            _("Someone else removed or renamed this section while you were editing it."),
            "",
            new_text,
            version.revision,
            "",
        )
    if base_revision != version.revision and base_hash != current.hash:
        raise EditConflictError(
            _("Someone else changed this section while you were editing it."),
            current.text,
            new_text,
            version.revision,
            current.hash,
        )
    text = check_section_text(new_text)
    source = _replace_section_text(version, current, text)
    document = _parse_keyed(session, version, source, offset=current.start, span=text.count("\n") + 1)
    _apply_source(session, version, document)
    audit(
        session,
        actor,
        "version.edit_section",
        "version",
        version.id,
        section=section_key,
        revision=version.revision,
    )
    session.flush()
    return version


def last_editor(session: Session, version: Version, section_key: str) -> str | None:
    """The name of whoever saved this section of the version last (for the conflict page)."""
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.target_type == "version",
            AuditEvent.target_id == version.id,
            AuditEvent.action == "version.edit_section",
        )
        .order_by(AuditEvent.id.desc())
        .limit(20)
    )
    for event in events:
        if (event.details or {}).get("section") == section_key:
            user = session.get(User, event.actor_id) if event.actor_id is not None else None
            return user.display_name if user is not None else None
    return None


def preview_section(
    session: Session, version: Version, section_key: str, new_text: str
) -> list[tuple[str, str]]:
    """Render an edited section without saving: (clause number, HTML) pairs, or SourceError."""
    current = get_section_source(session, version, section_key)
    if current is None:
        raise SourceError(_("This section no longer exists in the version."), None)
    text = check_section_text(new_text)
    source = _replace_section_text(version, current, text)
    document = _parse_keyed(session, version, source, offset=current.start, span=text.count("\n") + 1)
    lines_before = current.start
    sections = [s for s in document.sections if lines_before < s.line <= lines_before + text.count("\n") + 1]
    return [(f"{c.number}", render_clause(c.markdown)) for s in sections for c in s.clauses]


def upload_source(
    session: Session, version: Version, data: bytes, base_revision: int, actor: User
) -> Version:
    """Replace a working version's whole Markdown with an uploaded file (UTF-8, at most 2 MB)."""
    lock_version(session, version)
    ensure_working(version)
    text = _uploaded_text(version, data)
    if base_revision != version.revision:
        raise EditConflictError(
            _("Someone else saved this version after you opened the page; your file was not applied."),
            version.source_markdown,
            text,
            version.revision,
            text_hash(version.source_markdown),
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Errors are reported against the file as uploaded, before its front matter is rewritten.
    _parse_keyed(session, version, text)
    text = with_front_matter(text, version=version.label, status=VersionStatus.WORKING.value, date=None)
    document = _parse_keyed(session, version, text)
    _apply_source(session, version, document)
    audit(session, actor, "version.upload", "version", version.id, revision=version.revision, bytes=len(data))
    session.flush()
    return version


def _uploaded_text(version: Version, data: bytes) -> str:
    """An upload's Markdown: a Word document is imported (its headings become sections) under the version's
    own front matter; anything else must be a UTF-8 draft file."""
    from app.consultations import services as consultations
    from app.consultations.word import looks_like_docx

    if looks_like_docx(data):
        try:
            body = consultations.convert_word(data, "file").markdown
        except consultations.ConsultationError as error:
            raise SourceError(error.message, None) from None
        front = version.source_markdown[
            : len(version.source_markdown) - len(consultations.body_of(version.source_markdown))
        ]
        return front.rstrip("\n") + "\n" + body
    if data.startswith(b"%PDF") or b"\x00" in data[:4096]:
        raise SourceError(
            _("This is not a text file. Upload the draft as Markdown (.md) or as a Word document (.docx)."),
            None,
        )
    try:
        return decode_draft(data, "upload")
    except DraftParseError as error:
        raise SourceError(error.message, error.line) from None


def update_details(
    session: Session,
    version: Version,
    label: str,
    change_note: str,
    opens: dt.datetime | None,
    closes: dt.datetime | None,
    base_revision: int,
    actor: User,
) -> Version:
    """Set a working version's label, change note and comment period (kept in its front matter too)."""
    lock_version(session, version)
    ensure_working(version)
    if base_revision != version.revision:
        raise EditConflictError(
            _("Someone else saved this version after you opened the page. Check the details and save again."),
            "",
            "",
            version.revision,
            "",
        )
    label = _check_label(session, version.policy, label, version)
    change_note = clean_field(
        change_note, _("the change note"), MAX_CHANGE_NOTE, "change_note", multiline=True, required=False
    )
    if (opens is None) != (closes is None):
        raise DraftingError(_("A comment period needs both an opening and a closing time."), "comments_close")
    if opens is not None and closes is not None and closes <= opens:
        raise DraftingError(_("The comment period must close after it opens."), "comments_close")
    source = with_front_matter(
        version.source_markdown,
        version=label,
        change_note=" ".join(change_note.split()) or None,
        comments_open=_iso(opens),
        comments_close=_iso(closes),
    )
    document = _parse_keyed(session, version, source)
    version.label = label
    _apply_source(session, version, document)
    version.change_note = change_note
    audit(session, actor, "version.details", "version", version.id, label=label, revision=version.revision)
    session.flush()
    return version


def publish_errors(session: Session, version: Version) -> list[str]:
    """List what stops a working version from being published (empty when it can be)."""
    errors = []
    try:
        document = parse_source(session, version, version.source_markdown)
    except DraftParseError as error:
        if error.line:
            return [_("line %(line)d: %(message)s", line=error.line, message=error.message)]
        return [error.message]
    if not document.clauses:
        errors.append(_("The version has no clauses."))
    if not version.label.strip():
        errors.append(_("The version has no label."))
    return errors


def publish_version(
    session: Session, version: Version, actor: User, now: dt.datetime | None = None
) -> CarryReport | None:
    """Publish a working version: it becomes public and immutable, and earlier comments are carried into it."""
    lock_version(session, version)
    if version.status != VersionStatus.WORKING.value:
        if version.published_at is not None:
            message = _(
                "“%(label)s” was already published on %(date)s. Nothing was changed.",
                label=version.label,
                date=format_date(version.published_at.astimezone(NZ).date(), "d MMMM y"),
            )
        else:
            message = _("“%(label)s” was already published. Nothing was changed.", label=version.label)
        raise AlreadyPublishedError(message)
    errors = publish_errors(session, version)
    if errors:
        raise PublishRefusedError(
            _("This version cannot be published until these problems are fixed."), errors
        )
    now = now or utcnow()
    source = with_front_matter(
        version.source_markdown, status=VersionStatus.PUBLISHED.value, date=now.astimezone(NZ).date()
    )
    document = parse_source(session, version, source)
    version.source_markdown = document.markdown
    version.content_hash = content_hash(document.markdown)
    version.status = VersionStatus.PUBLISHED.value
    version.published_at = now
    version.published_on = now.astimezone(NZ).date()
    version.updated_at = now
    replace_sections(session, version, document)
    session.expire(version, ["sections"])
    report = carry_forward(session, version.parent, version) if version.parent is not None else None
    audit(
        session,
        actor,
        "version.publish",
        "version",
        version.id,
        carried=report.total if report else 0,
        by_status=report.by_status if report else {},
    )
    session.expire(version.policy, ["versions"])
    session.flush()
    notify_events.version_published(session, version)
    return report


def mark_final(session: Session, version: Version, actor: User) -> Version:
    """Mark a published version as the policy's final version; a later final supersedes an earlier one."""
    lock_policy(session, version.policy)
    session.refresh(version, ["status"])
    if version.status == VersionStatus.WORKING.value:
        raise DraftingError(_("Publish this version before marking it final."))
    if version.status == VersionStatus.FINAL.value:
        raise VersionLockedError(_("“%(label)s” is already the final version.", label=version.label))
    other = session.scalar(
        select(Version).where(
            Version.policy_id == version.policy_id,
            Version.status == VersionStatus.FINAL.value,
            Version.id != version.id,
        )
    )
    now = utcnow()
    if other is not None:
        if other.position > version.position:
            raise DraftingError(
                _(
                    "“%(label)s” is a later final version of this policy. An earlier version cannot supersede it.",
                    label=other.label,
                )
            )
        # The earlier final stays public and readable, as a published version that a later final took over.
        other.status = VersionStatus.PUBLISHED.value
        other.superseded_at = now
        other.updated_at = now
        audit(session, actor, "version.final_superseded", "version", other.id, by=version.id)
        session.flush()  # at most one final per policy at any moment
    version.status = VersionStatus.FINAL.value
    version.superseded_at = None
    version.updated_at = now
    audit(session, actor, "version.final", "version", version.id, superseded=other.id if other else None)
    session.expire(version.policy, ["versions"])
    session.flush()
    return version


def working_versions(session: Session, policy: Policy) -> list[Version]:
    """A policy's working versions, newest first."""
    return list(
        session.scalars(
            select(Version)
            .where(Version.policy_id == policy.id, Version.status == VersionStatus.WORKING.value)
            .order_by(Version.position.desc())
        )
    )


# --- structure: sections and clauses by key ---------------------------------------------------------

MAX_HEADING = 300
MAX_CLAUSE = 20_000


def _structure_text(value: str, what: str, limit: int, field: str, *, multiline: bool) -> str:
    text = clean_field(value, what, limit, field, multiline=multiline)
    lines = text.replace("\r\n", "\n").split("\n")
    if any(line.lstrip().startswith("#") for line in lines[:1]) or any(
        line.startswith(("# ", "## ")) for line in lines
    ):
        raise DraftingError(_("Write the text without '#' heading marks: the workspace adds them."), field)
    if TRAILING_KEY_RE.search(lines[-1]):
        raise DraftingError(_("Leave out the {#key}: the workspace keeps the keys for you."), field)
    return text


def _current(session: Session, version: Version) -> Document:
    """Lock and parse a working version (a source that does not parse cannot be edited by structure)."""
    lock_version(session, version)
    ensure_working(version)
    try:
        return parse_source(session, version, version.source_markdown)
    except DraftParseError:
        raise DraftingError(
            _("The version's Markdown has an error. Fix it by uploading a corrected file first.")
        ) from None


def _restructure(
    session: Session,
    version: Version,
    source: str,
    expected: list[tuple[str, list[str]]],
    actor: User,
    action: str,
    field: str | None = None,
    **details: Any,
) -> Version:
    """Store the edited source if it parses to the structure asked for; else refuse and keep nothing."""
    try:
        document = _parse_keyed(session, version, source)
    except SourceError as error:
        raise DraftingError(error.message, field) from None
    if structure.shape(document) != expected:
        raise DraftingError(
            _("That text would change more than was asked for (for example it makes two clauses). Check it."),
            field,
        )
    _apply_source(session, version, document)
    audit(session, actor, action, "version", version.id, revision=version.revision, **details)
    session.flush()
    return version


def _parent_keys(session: Session, version: Version) -> set[str]:
    return structure.used_keys(parent_document(session, version))


def _section_or_refuse(document: Document, key: str) -> int:
    for index, section in enumerate(document.sections):
        if section.key == key:
            return index
    raise DraftingError(_("Someone else removed this section meanwhile."))


def add_section(
    session: Session,
    version: Version,
    heading: str,
    clause_text: str,
    after: str | None,
    actor: User,
) -> str:
    """Add a section (with its first clause) after section `after`, or at the end; return its key."""
    document = _current(session, version)
    heading = _structure_text(heading, _("the heading"), MAX_HEADING, "heading", multiline=False)
    clause_text = _structure_text(clause_text, _("the first clause"), MAX_CLAUSE, "text", multiline=True)
    if after is not None:
        _section_or_refuse(document, after)
    # "new" is a word of the workspace's addresses (…/sections/new), never a key.
    taken = structure.used_keys(document) | _parent_keys(session, version) | {"new"}
    key = structure.new_key(heading, taken)
    clause_key = f"{key}-1" if f"{key}-1" not in taken else structure.new_key(f"{key}-clause", taken)
    source = structure.add_section(
        version.source_markdown, document, heading, key, clause_text, clause_key, after
    )
    expected = structure.shape(document)
    at = len(expected) if after is None else _section_or_refuse(document, after) + 1
    expected.insert(at, (key, [clause_key]))
    _restructure(session, version, source, expected, actor, "version.add_section", "text", section=key)
    return key


def rename_section(session: Session, version: Version, key: str, heading: str, actor: User) -> Version:
    """Give a section a new heading; its key, and so its comments, stay."""
    document = _current(session, version)
    _section_or_refuse(document, key)
    heading = _structure_text(heading, _("the heading"), MAX_HEADING, "heading", multiline=False)
    source = structure.rename_section(version.source_markdown, document, key, heading)
    return _restructure(
        session,
        version,
        source,
        structure.shape(document),
        actor,
        "version.rename_section",
        "heading",
        section=key,
    )


def move_section(session: Session, version: Version, key: str, offset: int, actor: User) -> Version:
    """Move a section one place up (-1) or down (+1)."""
    document = _current(session, version)
    index = _section_or_refuse(document, key)
    expected = structure.shape(document)
    other = index + offset
    if not 0 <= other < len(expected):
        raise DraftingError(_("The section is already at that end of the version."))
    expected[index], expected[other] = expected[other], expected[index]
    source = structure.move_section(version.source_markdown, document, key, offset)
    return _restructure(
        session, version, source, expected, actor, "version.move_section", section=key, by=offset
    )


def delete_section(session: Session, version: Version, key: str, actor: User) -> Version:
    """Take a section and its clauses out of the working version."""
    document = _current(session, version)
    index = _section_or_refuse(document, key)
    if len(document.sections) == 1:
        raise DraftingError(_("A version needs at least one section. Add another before deleting this one."))
    expected = structure.shape(document)
    del expected[index]
    source = structure.delete_section(version.source_markdown, document, key)
    return _restructure(session, version, source, expected, actor, "version.delete_section", section=key)


def _clause_or_refuse(document: Document, key: str) -> tuple[int, int]:
    for s_index, section in enumerate(document.sections):
        for c_index, clause in enumerate(section.clauses):
            if clause.key == key:
                return s_index, c_index
    raise DraftingError(_("Someone else removed this clause meanwhile."))


def add_clause(
    session: Session, version: Version, section_key: str, text: str, after: str | None, actor: User
) -> str:
    """Add a clause to a section, after clause `after` or at its end; return the new clause's key."""
    document = _current(session, version)
    s_index = _section_or_refuse(document, section_key)
    text = _structure_text(text, _("the clause"), MAX_CLAUSE, "text", multiline=True)
    expected = structure.shape(document)
    keys = expected[s_index][1]
    at = len(keys)
    if after is not None:
        if after not in keys:
            raise DraftingError(_("Someone else removed this clause meanwhile."))
        at = keys.index(after) + 1
    key = structure.clause_key_for(
        document.sections[s_index], structure.used_keys(document) | _parent_keys(session, version)
    )
    keys.insert(at, key)
    source = structure.add_clause(version.source_markdown, document, section_key, text, key, after)
    _restructure(session, version, source, expected, actor, "version.add_clause", "text", clause=key)
    return key


def reword_clause(session: Session, version: Version, key: str, text: str, actor: User) -> Version:
    """Give a clause new words; its key, and so its comments, stay."""
    document = _current(session, version)
    _clause_or_refuse(document, key)
    text = _structure_text(text, _("the clause"), MAX_CLAUSE, "text", multiline=True)
    source = structure.replace_clause(version.source_markdown, document, key, text)
    return _restructure(
        session,
        version,
        source,
        structure.shape(document),
        actor,
        "version.reword_clause",
        "text",
        clause=key,
    )


def move_clause(session: Session, version: Version, key: str, offset: int, actor: User) -> Version:
    """Move a clause one place up (-1) or down (+1) within its section."""
    document = _current(session, version)
    s_index, c_index = _clause_or_refuse(document, key)
    expected = structure.shape(document)
    keys = expected[s_index][1]
    other = c_index + offset
    if not 0 <= other < len(keys):
        raise DraftingError(_("The clause is already at that end of its section."))
    keys[c_index], keys[other] = keys[other], keys[c_index]
    source = structure.move_clause(version.source_markdown, document, key, offset)
    return _restructure(
        session, version, source, expected, actor, "version.move_clause", clause=key, by=offset
    )


def delete_clause(session: Session, version: Version, key: str, actor: User) -> Version:
    """Take a clause out of its section (a section keeps at least one)."""
    document = _current(session, version)
    s_index, c_index = _clause_or_refuse(document, key)
    expected = structure.shape(document)
    if len(expected[s_index][1]) == 1:
        raise DraftingError(
            _("A section needs at least one clause. Delete the section instead, or add a clause first.")
        )
    del expected[s_index][1][c_index]
    source = structure.delete_clause(version.source_markdown, document, key)
    return _restructure(session, version, source, expected, actor, "version.delete_clause", clause=key)


def clause_texts(session: Session, version: Version, section_key: str) -> list[tuple[str, str, str]] | None:
    """A section's clauses as (key, number, Markdown without its marker and key), or None if it is gone."""
    document = parse_source(session, version, version.source_markdown)
    section = next((s for s in document.sections if s.key == section_key), None)
    if section is None:
        return None
    return [(c.key, c.number, c.markdown) for c in section.clauses]


def section_of_clause(session: Session, version: Version, clause_key: str) -> str | None:
    """The key of the section that holds a clause of a working version, or None."""
    try:
        document = parse_source(session, version, version.source_markdown)
    except DraftParseError:
        return None
    found = structure.find_clause(document, clause_key)
    return found[0].key if found is not None else None


# --- discarding -------------------------------------------------------------------------------------


def discard_working_version(session: Session, version: Version, actor: User) -> None:
    """Delete a working version and everything in it; published versions are never deleted."""
    lock_version(session, version)
    ensure_working(version)
    audit(session, actor, "version.discard", "version", version.id, label=version.label)
    policy = version.policy
    session.delete(version)
    session.flush()
    session.expire(policy, ["versions"])
