"""Shared per-clause comment blocks: rendered once, used by every page and reader they fit.

A signed-in reader who is not staff sees a clause's comments exactly as a visitor does, except their own comments
(edit, withdraw and receipt links, their held or hidden words). So the block of each clause they have not
commented on is taken from the page cache's store, rendered once as a visitor sees it; only the clauses with
their own comments, and the page around the blocks (their name, the CSRF token of the sign-out form), are
rendered for them. A visitor's page, when it is rendered again for the page cache, takes its blocks from the same
store.

A block's key carries the soft tag counters (`app.caching`) of what it shows: the site (names), its policy and
version (groups, responses, carried comments, the text) and its own clause (`clause:<id>`, moved by any change to
one of the clause's comments), with the UI language and whether comments are being taken. So a comment on one
clause makes a new key for that clause's block alone: the section page around it renders again, and takes every
other block from the store. A block expires when a version's period opens or closes, as pages do.

The whole section page is also kept for these readers (`app.caching`'s member copy): rendered once with every
block as a visitor sees it, each between markers, and `personalise_section` puts in, per request, the blocks of
the clauses the reader has commented on (`SECTION_COPY`).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence

from flask import current_app, render_template
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.boundary import current_session
from app.caching import (
    SITE,
    Personal,
    _ttl_until_period_changes,
    clause_tag,
    page_cache,
    rendering_member_copy,
    version_tags,
)
from app.comments.listing import section_comments
from app.comments.periods import period_status
from app.comments.presenters import CommentList
from app.comments.visibility import _is_staff, _user_id
from app.models import Clause, Comment, Version, Viewer
from app.models.base import utcnow

_MARKED = re.compile(r"<!--korero:clause:(\d+)-->(.*?)<!--/korero:clause:\1-->", re.DOTALL)


def _marked(clause_id: int, html: str) -> Markup:
    return Markup(f"<!--korero:clause:{clause_id}-->{html}<!--/korero:clause:{clause_id}-->")  # noqa: S704


def section_blocks(
    session: Session, viewer: Viewer | None, version: Version, clauses: Sequence[Clause], period: object
) -> tuple[dict[int, Markup], dict[int, CommentList]] | None:
    """Shared blocks by clause id, and the reader's own listings for the other clauses; None: render it all.

    A visitor's page (and a member copy) gets every block as a visitor sees it; a member copy's are marked for
    `personalise_section`. Staff, and every reader while the page cache is off, get None.
    """
    member_copy = rendering_member_copy()
    user_id = None if member_copy else _user_id(viewer)
    if not member_copy and (_is_staff(viewer) or current_app.config["PAGE_CACHE_SECONDS"] <= 0):
        return None
    cache = page_cache()
    ids = [clause.id for clause in clauses]
    around = [SITE, *version_tags(version)]
    counters = cache.counters([*around, *map(clause_tag, ids)])
    if counters is None:
        if member_copy:  # the store went away since the page was looked up: visitors' blocks, uncached
            lists = section_comments(session, None, version, clauses, utcnow())
            return {c.id: _marked(c.id, _block(c, version, lists.get(c.id), period)) for c in clauses}, {}
        return None
    soft, _hard = counters
    shared_part = ".".join(map(str, soft[: 1 + len(around)]))  # the store's epoch leads
    stamps = dict(zip(ids, soft[1 + len(around) :], strict=True))
    own = own_clauses(session, user_id, ids) if user_id is not None else set()
    shared = [clause for clause in clauses if clause.id not in own]
    now = utcnow()
    accepting = int(version.accepts_comments_at(now))
    keys = {
        clause.id: f"korero:block:{clause.id}:{get_locale()}:{accepting}:{shared_part}.{stamps[clause.id]}"
        for clause in shared
    }
    blocks: dict[int, Markup] = {}
    try:
        found = cache.store.get_many(*keys.values()) if keys else []
    except Exception:  # the store is down: render every block for this reader
        found = [None] * len(keys)
        if not member_copy:
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
            html = _block(clause, version, lists.get(clause.id), period)
            blocks[clause.id] = Markup(html)  # noqa: S704
            if ttl >= 1:
                cache.set(keys[clause.id], str(html), ttl)
    if member_copy:
        blocks = {clause_id: _marked(clause_id, html) for clause_id, html in blocks.items()}
    mine = [clause for clause in clauses if clause.id in own]
    personal = section_comments(session, viewer, version, mine, now) if mine else {}
    return blocks, personal


def own_clauses(session: Session, user_id: int, clause_ids: Sequence[int]) -> set[int]:
    """Which of these clauses the reader has commented on: from the page cache while nothing of theirs changed.

    The answer is kept under the reader's own tag counter (`reader:<id>`, moved by any change to one of their
    comments: `app.caching.tags_for`) and the site's, so a comment they post from another device shows as theirs
    on the next page; a repeat view costs no query.
    """
    cache = page_cache()
    counters = cache.counters([SITE, f"reader:{user_id}"])
    key = None
    if counters is not None:
        which = hashlib.blake2b(",".join(map(str, sorted(clause_ids))).encode(), digest_size=12).hexdigest()
        key = f"korero:own:{user_id}:{which}:" + ".".join(map(str, counters[0]))
        found = cache.page(key)
        if found is not None:
            return set(found[0])
    own = set(
        session.scalars(
            select(Comment.clause_id)
            .where(Comment.user_id == user_id, Comment.clause_id.in_(clause_ids))
            .distinct()
        )
    )
    ttl = float(current_app.config["PAGE_CACHE_SECONDS"])
    if key is not None and ttl >= 1:
        # Shaped as the store's pages are (value, kind, hard counters, expires at), so its local copy expires too.
        cache.set_page(key, (tuple(sorted(own)), "own", (), time.time() + ttl), ttl)
    return own


def _block(clause: Clause, version: Version, listing: CommentList | None, period: object) -> str:
    return render_template(
        "comments/_clause_block.html", clause=clause, version=version, listing=listing, comment_period=period
    )


def split_section(html: str) -> tuple[str | tuple[int, str], ...]:
    """A member copy as it is kept: the page cut at its marked blocks, (clause id, visitor's block) for each."""
    parts: list[str | tuple[int, str]] = []
    at = 0
    for found in _MARKED.finditer(html):
        parts += [html[at : found.start()], (int(found[1]), found[2])]
        at = found.end()
    parts.append(html[at:])
    return tuple(parts)


def personalise_section(parts: tuple[str | tuple[int, str], ...]) -> str:
    """A member copy of a section page for this reader: their own clauses' blocks in place of the visitor's."""
    from app.access import viewer as current_viewer

    reader = current_viewer()
    user_id = _user_id(reader)
    ids = [part[0] for part in parts if isinstance(part, tuple)]
    personal: dict[int, str] = {}
    if user_id is not None and ids:
        session = current_session()
        own = sorted(own_clauses(session, user_id, ids))
        if own:
            clauses = list(session.scalars(select(Clause).where(Clause.id.in_(own))))
            version = session.get_one(Version, clauses[0].version_id)
            lists = section_comments(session, reader, version, clauses, utcnow())
            period = period_status(version)
            personal = {c.id: _block(c, version, lists.get(c.id), period) for c in clauses}
    return "".join(part if isinstance(part, str) else personal.get(part[0], part[1]) for part in parts)


SECTION_COPY = Personal(prepare=split_section, fill=personalise_section)
