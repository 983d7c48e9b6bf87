"""Every contribution of a version with its analyst fields, as CSV or XLSX, with formula-safe cells."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analysis.jobs import latest_run, suggestions
from app.models import Clause, Comment, Response, SearchDocument, Tag, TagApplication, Version

# A cell a spreadsheet would run as a formula starts with one of these (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def header() -> list[str]:
    return [
        _("Kind"),
        _("Id"),
        _("Tracking number"),
        _("Clause"),
        _("State"),
        _("Received"),
        _("Verified"),
        _("Campaign group"),
        _("Tags"),
        _("Suggested theme"),
        _("Response outcome"),
        _("Response"),
        _("Text"),
    ]


def rows(session: Session, version: Version) -> Iterator[list[object]]:
    tags: dict[int, list[str]] = defaultdict(list)
    for ref_id, name in session.execute(
        select(TagApplication.ref_id, Tag.name)
        .join(Tag, Tag.id == TagApplication.tag_id)
        .where(
            TagApplication.version_id == version.id,
            TagApplication.kind == "comment",
            TagApplication.second.is_(False),
        )
        .order_by(Tag.name)
    ):
        if name not in tags[ref_id]:
            tags[ref_id].append(name)
    themes: dict[int, str] = {}
    run = latest_run(session, version)
    for suggestion in suggestions(session, run) if run is not None else []:
        for kind, ref_id in suggestion.members:
            if kind == "comment":
                themes.setdefault(int(ref_id), suggestion.label)
    responses = session.scalars(select(Response).where(Response.version_id == version.id)).all()
    by_comment = {r.comment_id: r for r in responses if r.comment_id is not None}
    by_group = {r.campaign_group_id: r for r in responses if r.campaign_group_id is not None}
    numbers = dict(
        session.execute(select(Clause.id, Clause.number).where(Clause.version_id == version.id)).all()
    )
    statement = (
        select(Comment, SearchDocument.verified)
        .outerjoin(SearchDocument, (SearchDocument.kind == "comment") & (SearchDocument.ref_id == Comment.id))
        .where(Comment.version_id == version.id)
        .order_by(Comment.id)
    )
    for comment, verified in session.execute(statement).yield_per(1000):
        response = by_comment.get(comment.id) or (
            by_group.get(comment.campaign_group_id) if comment.campaign_group_id else None
        )
        row: list[object] = [
            "comment",
            comment.id,
            comment.tracking_number,
            numbers.get(comment.clause_id, ""),
            comment.state,
            comment.created_at.isoformat(timespec="seconds"),
            _("yes") if verified else _("no"),
            comment.campaign_group_id or "",
            "; ".join(tags.get(comment.id, [])),
            themes.get(comment.id, ""),
            response.outcome if response else "",
            response.text if response else "",
            comment.body,
        ]
        yield [safe_cell(v) for v in row]


def as_csv(session: Session, version: Version) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header())
    writer.writerows(rows(session, version))
    return out.getvalue()


def as_xlsx(session: Session, version: Version) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Items"))
    sheet.append(header())
    for row in rows(session, version):
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
