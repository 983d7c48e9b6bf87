"""Compare two stored versions: load both, compare them (the pure engine), build the page's view model, cache it.

The jobs around it have their own modules: `viewmodel` (pure: the redline and summary a page shows),
`presenters` (the view model in words), `cache` (in-process and Redis), `listing` (read queries). Carrying
comments into a new version and following them through versions is `app.placements`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.diffing import cache
from app.diffing.engine import compare
from app.diffing.listing import stored_document
from app.diffing.viewmodel import CompareView, build_view
from app.models import Version


def compare_versions(
    session: Session, old: Version, new: Version, redis_url: str | None = None
) -> CompareView:
    """Compare two stored versions (either order); cached by their content, since versions are immutable."""
    key = cache.cache_key(old, new)
    cached = cache.cached_view(key)
    if cached is not None:
        return cached
    old_doc, new_doc = stored_document(session, old), stored_document(session, new)
    changes = cache.shared_changes(redis_url, key)
    if changes is None:
        changes = [] if old.id == new.id else compare(old_doc, new_doc)
        cache.share_changes(redis_url, key, changes)
    view = build_view(old.id, new.id, old_doc, new_doc, changes)
    cache.keep_view(key, view)
    return view
