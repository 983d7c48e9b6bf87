"""Read queries of the diffing package: a stored version as a Document, and a policy's chain of versions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.drafts.parsing import Clause as ParsedClause
from app.drafts.parsing import Document
from app.drafts.parsing import Section as ParsedSection
from app.models import Clause, Section, Version, VersionStatus


def stored_document(session: Session, version: Version) -> Document:
    """Rebuild a version's Document from its stored rows: exactly the keys that comments refer to."""
    rows = session.execute(
        select(
            Section.key,
            Section.heading,
            Section.number,
            Clause.key,
            Clause.number,
            Clause.markdown,
            Clause.text,
        )
        .join(Clause, Clause.section_id == Section.id)
        .where(Section.version_id == version.id)
        .order_by(Section.position, Clause.position)
    ).all()
    sections: list[ParsedSection] = []
    current: tuple[str, str, str] | None = None
    clauses: list[ParsedClause] = []
    for s_key, heading, s_number, c_key, c_number, markdown, text in rows:
        if current is None or current[0] != s_key:
            if current is not None:
                sections.append(ParsedSection(current[0], current[1], tuple(clauses), current[2]))
            current, clauses = (s_key, heading, s_number), []
        clauses.append(ParsedClause(key=c_key, number=c_number, markdown=markdown, text=text))
    if current is not None:
        sections.append(ParsedSection(current[0], current[1], tuple(clauses), current[2]))
    return Document(
        title=version.policy.title,
        version=version.label,
        status=version.status,
        sections=tuple(sections),
        content_hash=version.content_hash,
    )


def policy_versions(session: Session, policy_id: int, include_working: bool = False) -> list[Version]:
    """A policy's versions, oldest first (queried, so a long-lived session never sees a stale list)."""
    query = select(Version).where(Version.policy_id == policy_id).order_by(Version.position)
    if not include_working:
        query = query.where(Version.status != VersionStatus.WORKING.value)
    return list(session.scalars(query))


def previous_public(session: Session, version: Version) -> Version | None:
    """The public version just before `version` in its policy's chain."""
    return session.scalar(
        select(Version)
        .where(
            Version.policy_id == version.policy_id,
            Version.status != VersionStatus.WORKING.value,
            Version.position < version.position,
        )
        .order_by(Version.position.desc())
        .limit(1)
    )
