"""Shared per-clause comment blocks for signed-in readers: rendered once, used by every reader they fit.

A signed-in reader who is not staff sees a clause's comments exactly as a visitor does, except their own comments
(edit, withdraw and receipt links, their held or hidden words). So the block of each clause they have not
commented on is taken from the page cache's store, rendered once as a visitor sees it; only the clauses with
their own comments, and the page around the blocks (their name, the CSRF token of the sign-out form), are
rendered for them. Keys carry the section page's soft tag counters (`app.caching`), so any change the page would
show makes new keys, and the UI language and whether comments are being taken; a block expires when a version's
period opens or closes, as pages do.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.caching import _ttl_until_period_changes, page_cache, page_tags
from app.comments.listing import section_comments
from app.comments.presenters import CommentList
from app.comments.visibility import _is_staff, _user_id
from app.models import Clause, Comment, Version, Viewer
from app.models.base import utcnow


def section_blocks(
    session: Session, viewer: Viewer | None, version: Version, clauses: Sequence[Clause], period: object
) -> tuple[dict[int, Markup], dict[int, CommentList]] | None:
    """Shared blocks by clause id, and the reader's own listings for the other clauses; None: render it all."""
    user_id = _user_id(viewer)
    if user_id is None or _is_staff(viewer) or current_app.config["PAGE_CACHE_SECONDS"] <= 0:
        return None
    cache = page_cache()
    counters = cache.counters(page_tags(request.view_args or {}))
    if counters is None:
        return None
    soft, _hard = counters
    ids = [clause.id for clause in clauses]
    own = set(
        session.scalars(
            select(Comment.clause_id).where(Comment.user_id == user_id, Comment.clause_id.in_(ids))
        )
    )
    shared = [clause for clause in clauses if clause.id not in own]
    now = utcnow()
    accepting = int(version.accepts_comments_at(now))
    stamp = ".".join(map(str, soft))
    keys = {clause.id: f"korero:block:{clause.id}:{get_locale()}:{accepting}:{stamp}" for clause in shared}
    blocks: dict[int, Markup] = {}
    try:
        found = cache.store.get_many(*keys.values()) if keys else []
    except Exception:  # the store is down: render every block for this reader
        return None
    missing = []
    for clause, html in zip(shared, found, strict=True):
        if html is None:
            missing.append(clause)
        else:
            blocks[clause.id] = Markup(html)  # noqa: S704 - HTML this module rendered from the template
    if missing:
        lists = section_comments(session, None, version, missing, now)
        ttl = _ttl_until_period_changes(float(current_app.config["PAGE_CACHE_SECONDS"]), session)
        for clause in missing:
            html = render_template(
                "comments/_clause_block.html",
                clause=clause,
                version=version,
                listing=lists.get(clause.id),
                comment_period=period,
            )
            blocks[clause.id] = Markup(html)  # noqa: S704
            if ttl >= 1:
                cache.set(keys[clause.id], str(html), ttl)
    mine = [clause for clause in clauses if clause.id in own]
    personal = section_comments(session, viewer, version, mine, now) if mine else {}
    return blocks, personal
