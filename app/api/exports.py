"""Bulk exports and annotations under /api/v1: CSV, JSON Lines and XLSX streamed, Web Annotations in pages.

Streamed bodies run after the request boundary has committed and only read (see `Korero.dispatch_request`).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from app.access import get_policy_or_404, get_version_or_404
from app.api import exporting, listing
from app.api import schemas as s
from app.api import webannotations as web_annotations
from app.api.blueprint import open_data_blueprint
from app.api.requests import decode_cursor, encode_cursor, reader
from app.boundary import current_session
from app.comments.visibility import publicly_shown
from app.models import ANONYMOUS, Comment, CommentState, User, Version, audit

bp = open_data_blueprint("exports", __name__, "Bulk exports and Web Annotations.")

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/jsonl; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(MEDIA)
FORMAT_DOC = {
    "csv": "CSV (RFC 4180), formula-safe; columns as in docs/api.md.",
    "jsonl": "JSON Lines: one object per line.",
    "xlsx": "An Excel workbook (a new sheet every 1,048,576 rows), formula-safe.",
}
KINDS = ("comments", "submissions", "responses")
STAFF_KINDS = ("comments", "submissions")  # what a staff token exports more of (responses are all public)


def _export(versions: list[Version], kind: str, fmt: str, name: str) -> Response:
    session = current_session()
    who = reader()
    staff_user = who if isinstance(who, User) and kind in STAFF_KINDS else None
    staff = staff_user is not None
    if staff_user is not None:
        # A staff export holds held and hidden words and e-mail addresses: who took one, and of what, is kept.
        for version in versions:
            audit(session, staff_user, "export.staff", "version", version.id, kind=kind, format=fmt)
        session.flush()
    columns, records = exporting.rows(session, kind, versions, staff=staff)
    if fmt == "csv":
        body: Any = exporting.as_csv(columns, records)
    elif fmt == "xlsx":
        body = exporting.as_xlsx(columns, records)
    else:
        body = exporting.as_json_lines(records)
    response = Response(stream_with_context(body), mimetype=MEDIA[fmt].split(";")[0])
    response.headers["Content-Type"] = MEDIA[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{kind}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store" if staff else "public, max-age=60"
    if staff:
        response.headers["Vary"] = "Authorization"
    return response


def _make(kind: str, fmt: str) -> None:
    def version_export(policy_slug: str, version_slug: str) -> ResponseReturnValue:
        version = get_version_or_404(policy_slug, version_slug)
        return _export([version], kind, fmt, f"{policy_slug}-{version_slug}")

    def policy_export(policy_slug: str) -> ResponseReturnValue:
        policy = get_policy_or_404(policy_slug)
        return _export(listing.public_versions(current_session(), policy), kind, fmt, policy_slug)

    media = MEDIA[fmt].split(";")[0]
    for view, path, what in (
        (version_export, f"/policies/<policy_slug>/versions/<version_slug>/{kind}.{fmt}", "a version"),
        (policy_export, f"/policies/<policy_slug>/{kind}.{fmt}", "every public version of a policy"),
    ):
        view.__name__ = f"{view.__name__}_{kind}_{fmt}"
        view.__doc__ = f"Every published {kind[:-1]} on {what}, streamed as {fmt.upper()}."
        if kind == "submissions":
            view.__doc__ += " With its question answers (q1…qN) and the links to its files."
        documented = bp.doc(
            responses={
                200: {"description": FORMAT_DOC[fmt], "content": {media: {"schema": {"type": "string"}}}}
            }
        )(view)
        bp.route(path, methods=["GET"], endpoint=view.__name__)(bp.problems(404, 429)(documented))


for _kind in KINDS:
    for _fmt in FORMATS:
        _make(_kind, _fmt)


@bp.get("/policies/<policy_slug>/versions/<version_slug>/annotations")
@bp.arguments(s.PageArgs, location="query", as_kwargs=True)
@bp.doc(
    responses={
        200: {
            "description": "An AnnotationCollection (W3C Web Annotation, JSON-LD) with its first page.",
            "content": {"application/ld+json": {"schema": {"type": "object"}}},
        }
    }
)
@bp.problems(400, 404, 422, 429)
def annotation_collection(
    policy_slug: str, version_slug: str, limit: int, cursor: str | None = None
) -> ResponseReturnValue:
    """The published comments of a version as W3C Web Annotations."""
    version = get_version_or_404(policy_slug, version_slug)
    session = current_session()
    published = listing.CommentQuery(state=CommentState.PUBLISHED.value)
    rows = listing.comments_page(
        session, version, ANONYMOUS, published, decode_cursor("annotations", cursor), limit
    )
    total = session.scalar(
        select(func.count(Comment.id)).where(Comment.version_id == version.id, publicly_shown())
    )
    here = {"policy_slug": policy_slug, "version_slug": version_slug}
    collection = url_for("exports.annotation_collection", **here, _external=True)
    page_url = url_for("exports.annotation_collection", **here, cursor=cursor, limit=limit, _external=True)
    next_url = None
    if len(rows) > limit:
        next_url = url_for(
            "exports.annotation_collection",
            **here,
            cursor=encode_cursor("annotations", rows[limit - 1].id),
            limit=limit,
            _external=True,
        )
    body = web_annotations.collection_page(
        version, rows[:limit], int(total or 0), page_url, next_url, collection
    )
    return current_app_json(body)


def current_app_json(body: dict[str, Any]) -> Response:

    response: Response = current_app.json.response(body)  # type: ignore[assignment]  # Flask types it as the sansio base
    response.headers["Content-Type"] = web_annotations.MEDIA_TYPE
    return response
