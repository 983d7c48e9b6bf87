"""What the charts show, as numbers: the templates draw them as SVG with the same numbers in a table beside.

Colours are presentation attributes (the strict CSP allows no style attributes); each shade keeps its label's
contrast at 4.5:1 or more, and every cell also says its count in text, so colour is never the only cue.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Clause, Comment, CommentState, Section, Version

# (fill, text colour) from no comments to the most.
SHADES = (
    ("#f2f2f2", "#111111"),
    ("#deebf7", "#111111"),
    ("#b9d4ec", "#111111"),
    ("#2b6ca8", "#ffffff"),
    ("#173f66", "#ffffff"),
)


@dataclass(frozen=True)
class Cell:
    key: str
    number: str
    count: int
    fill: str
    ink: str


@dataclass(frozen=True)
class Row:
    section: Section
    cells: list[Cell]


def shade(count: int, most: int) -> tuple[str, str]:
    if count <= 0 or most <= 0:
        return SHADES[0]
    step = 1 + min(len(SHADES) - 2, (count * (len(SHADES) - 1) - 1) // most)
    return SHADES[step]


def heat_map(session: Session, version: Version, staff: bool) -> list[Row]:
    """Every section and clause of the version with its comments: published ones, or (staff) all but withdrawn."""
    if staff:
        counts = dict(
            session.execute(
                select(Comment.clause_id, func.count())
                .where(Comment.version_id == version.id, Comment.state != CommentState.WITHDRAWN.value)
                .group_by(Comment.clause_id)
            ).all()
        )
    else:
        counts = dict(
            session.execute(
                select(Clause.id, Clause.comment_count).where(Clause.version_id == version.id)
            ).all()
        )
    sections = session.scalars(
        select(Section).where(Section.version_id == version.id).order_by(Section.position)
    ).all()
    most = max(counts.values(), default=0)
    rows = []
    for section in sections:
        cells = []
        for clause in section.clauses:
            n = int(counts.get(clause.id, 0) or 0)
            fill, ink = shade(n, most)
            cells.append(Cell(clause.key, clause.number, n, fill, ink))
        rows.append(Row(section, cells))
    return rows


@dataclass(frozen=True)
class Day:
    day: dt.date
    count: int
    height: int  # of 100


def per_day(session: Session, version: Version, staff: bool, limit_days: int = 120) -> list[Day]:
    """Comments per day over the period (the last `limit_days` days with any)."""
    statement = select(Comment.created_at).where(Comment.version_id == version.id)
    if staff:
        statement = statement.where(Comment.state != CommentState.WITHDRAWN.value)
    else:
        statement = statement.where(Comment.state == CommentState.PUBLISHED.value)
    counts: Counter[dt.date] = Counter(moment.date() for moment in session.scalars(statement) if moment)
    if not counts:
        return []
    first, last = min(counts), max(counts)
    first = max(first, last - dt.timedelta(days=limit_days - 1))
    most = max(counts.values())
    days = []
    day = first
    while day <= last:
        n = counts.get(day, 0)
        days.append(Day(day, n, round(100 * n / most) if most else 0))
        day += dt.timedelta(days=1)
    return days


def bars(pairs: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """(label, count, width of 100) for a horizontal bar chart."""
    most = max((n for _label, n in pairs), default=0)
    return [(label, n, round(100 * n / most) if most else 0) for label, n in pairs]
