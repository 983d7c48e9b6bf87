"""Open formats beside the pages: Atom feeds (consultations, versions, comments, responses) and Akoma Ntoso.

Feeds are built with feedgen and list the newest entries first (at most `FEED_SIZE`); each is linked from the
pages it follows with `<link rel="alternate">` (see `alternate_links`). The consultations feed has an entry per
moment of a version (published, period opened, period closed, consultation concluded: `app.consultations.states`
`moments`), each with an id that never changes and the moment as its time, so a reader shows a period opening
as a new entry when the clock passes its start, without anyone editing anything.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.access import get_policy_or_404, get_version_or_404
from app.api import akn, listing
from app.api.listing import PUBLIC_STATUSES
from app.boundary import current_session
from app.comments.presenters import author_label
from app.comments.visibility import publicly_shown
from app.consultations.states import NZ, Moment, VersionFacts, VersionHistory, moments
from app.models import AuditEvent, Comment, Version, VersionStatus
from app.models import Response as ResponseRow
from app.models.base import utcnow
from app.responses.services import OUTCOME_LABELS, in_force
from app.submissions.visibility import public_text

bp = Blueprint("opendata", __name__)

FEED_SIZE = 50
ATOM = "application/atom+xml"


# What XML 1.0 cannot carry (C0 controls but tab and newlines, lone surrogates, U+FFFE and U+FFFF): lxml refuses
# the whole feed for one such character, and a visitor's query string or an old row may hold one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _feed(feed_id: str, title: str, link: str, entries: Iterable[dict[str, Any]]) -> Response:
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(_xml(title))
    feed.link(href=link, rel="alternate")
    feed.link(href=request.base_url, rel="self")  # a feed takes no parameters: its own address has none
    feed.author({"name": current_app.config.get("SITE_NAME", "Kōrero")})
    feed.language("en")
    newest = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    for item in entries:
        entry = feed.add_entry(order="append")
        entry.id(item["id"])
        entry.title(_xml(item["title"]))
        entry.link(href=item["link"])
        entry.updated(item["updated"])
        entry.published(item["updated"])
        if item.get("summary"):
            entry.summary(_xml(item["summary"]))
        if item.get("author"):
            entry.author({"name": _xml(item["author"])})
        newest = max(newest, item["updated"])
    feed.updated(newest)
    response = Response(feed.atom_str(pretty=True), mimetype=ATOM)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _version_entry(version: Version) -> dict[str, Any]:
    moment = version.published_at or version.created_at
    period = ""
    if version.comments_open_at and version.comments_close_at:
        period = _(
            "Open for comment from %(opens)s to %(closes)s.",
            opens=version.comments_open_at.date().isoformat(),
            closes=version.comments_close_at.date().isoformat(),
        )
    link = url_for(
        "drafts.version", policy_slug=version.policy.slug, version_slug=version.slug, _external=True
    )
    return {
        "id": link,
        "title": f"{version.policy.title}: {version.label}",
        "link": link,
        "updated": moment,
        "summary": " ".join(x for x in (version.change_note, period) if x),
    }


MOMENT_ORDER = {m: n for n, m in enumerate(Moment)}  # same time: published before opened before closed…


def _histories(session: Session) -> list[tuple[int, VersionHistory]]:
    """Every public version's history, from plain columns (a version row is loaded only for the entries shown).

    All public versions are read (a tuple each): a version's moments depend on its successor's publication, and
    a platform holds hundreds of versions, not millions; the feed is cached for five minutes.
    """
    rows = session.execute(
        select(
            Version.id,
            Version.policy_id,
            Version.position,
            Version.status,
            Version.published_at,
            Version.created_at,
            Version.comments_open_at,
            Version.comments_close_at,
            Version.open_when_superseded,
        ).where(Version.status.in_(PUBLIC_STATUSES))
    ).all()
    finals = [row.id for row in rows if row.status == VersionStatus.FINAL.value]
    marked: dict[int, dt.datetime] = {}
    if finals:
        # When it was marked final; a version imported as final has no such event: its publication is the moment.
        marked = {
            target: moment
            for target, moment in session.execute(
                select(AuditEvent.target_id, func.max(AuditEvent.created_at))
                .where(
                    AuditEvent.action == "version.final",
                    AuditEvent.target_type == "version",
                    AuditEvent.target_id.in_(finals),
                )
                .group_by(AuditEvent.target_id)
            ).all()
            if target is not None
        }
    by_policy: dict[int, list[Any]] = {}
    for row in rows:
        by_policy.setdefault(row.policy_id, []).append(row)
    histories = []
    for versions in by_policy.values():
        versions.sort(key=lambda r: r.position)
        for index, row in enumerate(versions):
            published = row.published_at or row.created_at
            later = [r.published_at or r.created_at for r in versions[index + 1 :]]
            facts = VersionFacts(
                position=row.position,
                is_final=row.status == VersionStatus.FINAL.value,
                opens=row.comments_open_at,
                closes=row.comments_close_at,
                open_when_superseded=row.open_when_superseded,
            )
            final = marked.get(row.id, published) if facts.is_final else None
            histories.append((row.id, VersionHistory(facts, published, final, min(later) if later else None)))
    return histories


def _moment_entry(version: Version, moment: Moment, at: dt.datetime) -> dict[str, Any]:
    if moment is Moment.PUBLISHED:
        return _version_entry(version) | {"updated": at}
    link = url_for(
        "drafts.version", policy_slug=version.policy.slug, version_slug=version.slug, _external=True
    )
    names = {"policy": version.policy.title, "version": version.label}
    day = at.astimezone(NZ).date().isoformat()
    if moment is Moment.OPENED:
        title = _("%(policy)s: %(version)s is open for comment", **names)
        closes = version.comments_close_at
        summary = (
            _("Comments are open until %(day)s.", day=closes.astimezone(NZ).date().isoformat())
            if closes
            else ""
        )
    elif moment is Moment.CLOSED:
        title = _("%(policy)s: comments on %(version)s have closed", **names)
        summary = _("Comments closed on %(day)s.", day=day)
    else:
        title = _("%(policy)s: the consultation concluded with %(version)s", **names)
        summary = version.change_note
    # The id names the version and the moment, so it never changes and never repeats; `updated` is the moment.
    return {"id": f"{link}#{moment.value}", "title": title, "link": link, "updated": at, "summary": summary}


@bp.get("/feeds/consultations.atom")
def consultations_feed() -> ResponseReturnValue:
    """Every consultation's moments, newest first: a version published, its period opening and closing (by the
    clock), and the consultation concluding with a final version."""
    session = current_session()
    now = utcnow()
    happened = [
        (at, MOMENT_ORDER[moment], version_id, moment)
        for version_id, history in _histories(session)
        for moment, at in moments(history, now)
    ]
    newest = sorted(happened, key=lambda m: (m[0], m[1], m[2]), reverse=True)[:FEED_SIZE]
    versions = {
        v.id: v for v in session.scalars(select(Version).where(Version.id.in_({m[2] for m in newest} or {0})))
    }
    return _feed(
        url_for("opendata.consultations_feed", _external=True),
        _("Consultations on %(site)s", site=current_app.config.get("SITE_NAME", "Kōrero")),
        url_for("drafts.home", _external=True),
        [_moment_entry(versions[version_id], moment, at) for at, _order, version_id, moment in newest],
    )


@bp.get("/policies/<policy_slug>/versions.atom")
def versions_feed(policy_slug: str) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    versions = list(reversed(listing.public_versions(current_session(), policy)))[:FEED_SIZE]
    return _feed(
        url_for("opendata.versions_feed", policy_slug=policy.slug, _external=True),
        _("Versions of %(policy)s", policy=policy.title),
        url_for("drafts.policy", policy_slug=policy.slug, _external=True),
        [_version_entry(v) for v in versions],
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>/comments.atom")
def comments_feed(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    comments = current_session().scalars(
        select(Comment)
        .where(Comment.version_id == version.id, publicly_shown())
        .order_by(Comment.id.desc())
        .limit(FEED_SIZE)
        .options(joinedload(Comment.user), joinedload(Comment.clause))
    )
    entries = []
    for comment in comments:
        link = url_for("comments.thread", comment_id=comment.id, _external=True)
        entries.append(
            {
                "id": link,
                "title": _("On clause %(number)s", number=comment.clause.number),
                "link": link,
                "updated": comment.edited_at or comment.created_at,
                "summary": public_text(comment),
                "author": author_label(comment),
            }
        )
    return _feed(
        url_for("opendata.comments_feed", policy_slug=policy_slug, version_slug=version_slug, _external=True),
        _("Comments on %(policy)s, %(version)s", policy=version.policy.title, version=version.label),
        url_for("drafts.version", policy_slug=policy_slug, version_slug=version_slug, _external=True),
        entries,
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>/responses.atom")
def responses_feed(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    rows = current_session().scalars(
        select(ResponseRow)
        .where(ResponseRow.version_id == version.id, in_force())
        .order_by(ResponseRow.id.desc())
        .limit(FEED_SIZE)
        .options(joinedload(ResponseRow.comment))
    )
    page = url_for(
        "responses.response_to_submissions",
        policy_slug=policy_slug,
        version_slug=version_slug,
        _external=True,
    )
    entries = [
        {
            "id": f"{page}#response-{row.id}",
            "title": str(OUTCOME_LABELS.get(row.outcome, row.outcome)),
            "link": f"{page}#response-{row.id}",
            "updated": row.updated_at or row.created_at,
            "summary": row.text,
        }
        for row in rows
    ]
    return _feed(
        url_for(
            "opendata.responses_feed", policy_slug=policy_slug, version_slug=version_slug, _external=True
        ),
        _(
            "Responses to comments on %(policy)s, %(version)s",
            policy=version.policy.title,
            version=version.label,
        ),
        page,
        entries,
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>.akn.xml")
def akoma_ntoso(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """The version as Akoma Ntoso 3.0 XML."""
    version = get_version_or_404(policy_slug, version_slug)
    xml = akn.version_document(version, listing.version_sections(current_session(), version))
    response = Response(xml, mimetype="application/akn+xml")
    response.headers["Content-Disposition"] = f'inline; filename="{policy_slug}-{version_slug}.akn.xml"'
    response.headers["Cache-Control"] = "public, max-age=300"
    response.add_etag()
    return response.make_conditional(request)


def alternate_links(view_args: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(href, type, title) of the feeds and formats a page has, for `<link rel="alternate">` in its head."""
    args = view_args or {}
    links = [(url_for("opendata.consultations_feed"), ATOM, _("Consultations (Atom)"))]
    policy, version = args.get("policy_slug"), args.get("version_slug")
    if policy:
        links.append((url_for("opendata.versions_feed", policy_slug=policy), ATOM, _("Versions (Atom)")))
    if policy and version:
        here = {"policy_slug": policy, "version_slug": version}
        links += [
            (url_for("opendata.comments_feed", **here), ATOM, _("Comments (Atom)")),
            (url_for("opendata.responses_feed", **here), ATOM, _("Responses (Atom)")),
            (url_for("opendata.akoma_ntoso", **here), "application/akn+xml", _("Akoma Ntoso XML")),
            (url_for("api.version", **here), "application/json", _("JSON (API)")),
        ]
    return links
