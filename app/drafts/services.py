"""Use cases for drafts: import files from policy_drafts/, store parsed versions, find them again."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.drafts.parsing import NZ, Document, DraftParseError, decode_draft, parse_draft
from app.drafts.rendering import render_clause
from app.models import Clause, Policy, Question, Section, Version, VersionStatus
from app.submissions.questions import QuestionSpec

DRAFT_FILE_RE = re.compile(r"^(?P<position>\d{2})-(?P<slug>[a-z0-9][a-z0-9-]*)\.md$")
POLICY_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


@dataclass(frozen=True)
class DraftFile:
    """One draft file found on disk, with where it sits in its policy's chain."""

    path: Path
    policy_slug: str
    version_slug: str
    position: int


@dataclass
class ImportReport:
    """What an import did: versions created and versions already there."""

    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def find_draft_files(root: Path) -> list[DraftFile]:
    """List draft files under `root` (all policies, one policy folder, or a single file), in order."""
    root = Path(root)
    if not root.exists():
        raise DraftParseError(_("no such file or folder"), str(root))
    if root.is_file():
        return [_draft_file(root)]
    folders = [root] if any(root.glob("[0-9][0-9]-*.md")) else sorted(p for p in root.iterdir() if p.is_dir())
    files = [
        _draft_file(path)
        for folder in folders
        for path in sorted(folder.glob("*.md"))
        if path.name != "README.md"
    ]
    if not files:
        raise DraftParseError(_("no draft files found (expected <policy>/<nn>-<version>.md)"), str(root))
    return sorted(files, key=lambda f: (f.policy_slug, f.position, f.version_slug))


def _draft_file(path: Path) -> DraftFile:
    match = DRAFT_FILE_RE.match(path.name)
    if match is None:
        raise DraftParseError(_("file name must look like '01-consultation-draft.md'"), str(path))
    policy_slug = path.parent.name
    if not POLICY_SLUG_RE.match(policy_slug):
        raise DraftParseError(
            _(
                "folder name '%(folder)s' is not a policy slug (lower-case letters, digits, hyphens)",
                folder=policy_slug,
            ),
            str(path),
        )
    return DraftFile(path, policy_slug, match["slug"], int(match["position"]))


def read_draft(path: Path, previous: Document | None = None) -> Document:
    """Read and parse one draft file (size and encoding checked before parsing)."""
    path = Path(path)
    with path.open("rb") as handle:
        data = handle.read(2 * 1024 * 1024 + 1)
    return parse_draft(decode_draft(data, str(path)), str(path), previous=previous)


def parse_chain(files: list[DraftFile]) -> Iterator[tuple[DraftFile, Document]]:
    """Parse each policy's files in order, each with its predecessor so unkeyed clauses keep keys."""
    previous: dict[str, Document] = {}
    for draft in files:
        document = read_draft(draft.path, previous.get(draft.policy_slug))
        previous[draft.policy_slug] = document
        yield draft, document


def import_drafts(
    session: Session,
    root: Path,
    progress: Callable[[DraftFile, str], None] | None = None,
) -> ImportReport:
    """Import every draft under `root` in order; skip versions already stored with the same content."""
    files = find_draft_files(root)
    report = ImportReport()
    seen_labels: dict[tuple[str, str], DraftFile] = {}
    for draft, document in parse_chain(files):
        first = seen_labels.setdefault((draft.policy_slug, document.version), draft)
        if first is not draft:
            raise DraftParseError(
                _(
                    "version label '%(label)s' is also used by %(file)s",
                    label=document.version,
                    file=first.path.name,
                ),
                str(draft.path),
                2,
            )
        outcome = _import_one(session, draft, document)
        (report.created if outcome == "created" else report.unchanged).append(str(draft.path))
        if progress is not None:
            progress(draft, outcome)
    return report


def _import_one(session: Session, draft: DraftFile, document: Document) -> str:
    policy = session.scalar(select(Policy).where(Policy.slug == draft.policy_slug))
    if policy is None:
        policy = Policy(slug=draft.policy_slug, title=document.title, summary=document.summary)
        session.add(policy)
        session.flush()
    existing = session.scalars(
        select(Version).where(
            Version.policy_id == policy.id,
            (Version.slug == draft.version_slug) | (Version.label == document.version),
        )
    ).all()
    for version in existing:
        if version.content_hash == document.content_hash and version.slug == draft.version_slug:
            return "unchanged"
        raise DraftParseError(
            _(
                "version '%(label)s' (%(slug)s) is already stored with different content; published versions "
                "are immutable: give the new text a new label and file",
                label=document.version,
                slug=draft.version_slug,
            ),
            str(draft.path),
            2,
        )
    policy.title = document.title
    policy.summary = document.summary or policy.summary
    policy.moderation = document.moderation
    parent = session.scalar(
        select(Version)
        .where(Version.policy_id == policy.id, Version.position < draft.position)
        .order_by(Version.position.desc())
        .limit(1)
    )
    if session.scalar(
        select(func.count()).where(Version.policy_id == policy.id, Version.position == draft.position)
    ):
        raise DraftParseError(
            _(
                "another version of '%(policy)s' already has position %(position)s",
                policy=policy.slug,
                position=f"{draft.position:02d}",
            ),
            str(draft.path),
        )
    store_version(session, policy, document, draft.version_slug, draft.position, parent)
    return "created"


def store_version(
    session: Session,
    policy: Policy,
    document: Document,
    slug: str,
    position: int,
    parent: Version | None,
) -> Version:
    """Store a parsed Document as a Version with its sections and clauses (rendered once, here)."""
    published_at = None
    if document.status != VersionStatus.WORKING.value and document.date is not None:
        published_at = dt.datetime.combine(document.date, dt.time.min, tzinfo=NZ).astimezone(dt.UTC)
    version = Version(
        policy_id=policy.id,
        parent_id=parent.id if parent is not None else None,
        slug=slug,
        label=document.version,
        position=position,
        status=document.status,
        published_on=document.date,
        published_at=published_at,
        change_note=document.change_note,
        source_markdown=document.markdown,
        content_hash=document.content_hash,
        comments_open_at=document.comments_open,
        comments_close_at=document.comments_close,
        word_count=document.word_count(),
    )
    session.add(version)
    session.flush()
    replace_sections(session, version, document)
    if document.questions:
        replace_questions(session, version, document.questions)
    return version


def replace_questions(session: Session, version: Version, specs: Iterable[QuestionSpec]) -> None:
    """Write a version's questions, in order, in place of any it had (the caller checks none are answered)."""
    for old in session.scalars(select(Question).where(Question.version_id == version.id)):
        session.delete(old)
    session.flush()
    for position, spec in enumerate(specs, start=1):
        session.add(
            Question(
                version_id=version.id,
                position=position,
                kind=spec.kind,
                prompt=spec.prompt,
                choices=list(spec.choices),
                required=spec.required,
                section_key=spec.section_key,
                clause_key=spec.clause_key,
            )
        )
    session.flush()


def replace_sections(session: Session, version: Version, document: Document) -> None:
    """Write a version's sections and clauses from a Document (used on import and by drafting)."""
    for old in list(version.sections):
        session.delete(old)
    session.flush()
    for s_pos, parsed_section in enumerate(document.sections):
        section = Section(
            version_id=version.id,
            key=parsed_section.key,
            position=s_pos,
            number=parsed_section.number,
            heading=parsed_section.heading,
            heading_mi=parsed_section.heading_mi or None,
        )
        section.clauses = [
            Clause(
                version_id=version.id,
                key=parsed.key,
                position=c_pos,
                number=parsed.number,
                markdown=parsed.markdown,
                html=render_clause(parsed.markdown),
                text=parsed.text,
            )
            for c_pos, parsed in enumerate(parsed_section.clauses)
        ]
        session.add(section)
    session.flush()


# --- queries the reading pages use ----------------------------------------------------------------


def list_policies(session: Session) -> list[Policy]:
    """All policies, by title."""
    return list(session.scalars(select(Policy).order_by(Policy.title)))


def get_policy(session: Session, slug: str) -> Policy | None:
    return session.scalar(select(Policy).where(Policy.slug == slug))


def visible_versions(policy: Policy, include_working: bool = False) -> list[Version]:
    """The policy's versions a reader may see, oldest first."""
    return [v for v in policy.versions if include_working or v.is_public]


def get_version(session: Session, policy: Policy, slug: str) -> Version | None:
    return session.scalar(select(Version).where(Version.policy_id == policy.id, Version.slug == slug))


def get_section(session: Session, version: Version, key: str) -> Section | None:
    return session.scalar(select(Section).where(Section.version_id == version.id, Section.key == key))


def get_clause(session: Session, version: Version, key: str) -> Clause | None:
    return session.scalar(select(Clause).where(Clause.version_id == version.id, Clause.key == key))


@dataclass(frozen=True)
class PolicySummary:
    """What the home and policy pages show of a policy."""

    policy: Policy
    versions: list[Version]
    latest: Version | None
    first: Version | None
    final: Version | None
    open_versions: list[Version]


def policy_summary(policy: Policy, include_working: bool = False) -> PolicySummary:
    """Summarise a policy's versions for a reader."""
    versions = visible_versions(policy, include_working)
    public = [v for v in versions if v.is_public]
    now = dt.datetime.now(dt.UTC)
    finals = [v for v in public if v.is_final]
    return PolicySummary(
        policy=policy,
        versions=versions,
        latest=public[-1] if public else None,
        first=public[0] if public else None,
        final=finals[-1] if finals else None,
        open_versions=[v for v in public if v.accepts_comments_at(now)],
    )


@dataclass(frozen=True)
class VersionPage:
    """A version with everything its page shows, loaded in a fixed number of queries."""

    sections: list[Section]
    previous: Version | None
    next: Version | None
    clause_count: int


def _neighbours(version: Version) -> tuple[Version | None, Version | None]:
    chain = [v for v in version.policy.versions if v.is_public or v.id == version.id]
    index = next(i for i, v in enumerate(chain) if v.id == version.id)
    before = chain[index - 1] if index > 0 else None
    after = chain[index + 1] if index + 1 < len(chain) else None
    return before, after


def version_page(session: Session, version: Version) -> VersionPage:
    """Load a version's sections and clauses for its page."""
    sections = list(
        session.scalars(
            select(Section)
            .where(Section.version_id == version.id)
            .order_by(Section.position)
            .options(selectinload(Section.clauses))
        )
    )
    before, after = _neighbours(version)
    return VersionPage(
        sections=sections,
        previous=before,
        next=after,
        clause_count=sum(len(s.clauses) for s in sections),
    )


class TocEntry(NamedTuple):
    """One line of a version's table of contents."""

    key: str
    number: str
    heading: str


@dataclass(frozen=True)
class SectionPage:
    """A section with its neighbours, for the section page."""

    clauses: list[Clause]
    previous: TocEntry | None
    next: TocEntry | None
    toc: list[TocEntry]


def section_page(session: Session, version: Version, section: Section) -> SectionPage:
    """Load a section's clauses and the version's contents (for the neighbours) in two queries."""
    clauses = list(
        session.scalars(select(Clause).where(Clause.section_id == section.id).order_by(Clause.position))
    )
    toc = [
        TocEntry(key, number, heading)
        for key, number, heading in session.execute(
            select(Section.key, Section.number, Section.heading)
            .where(Section.version_id == version.id)
            .order_by(Section.position)
        )
    ]
    index = next(i for i, entry in enumerate(toc) if entry.key == section.key)
    before = toc[index - 1] if index > 0 else None
    after = toc[index + 1] if index + 1 < len(toc) else None
    return SectionPage(clauses=clauses, previous=before, next=after, toc=toc)
