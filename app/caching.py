"""A page cache for anonymous readers, invalidated whenever anything they could see changes.

Published versions never change, but their pages also show comments, counts and responses. So a cached page is
keyed by the URL, the language and a *content generation*: a counter bumped after every commit that wrote a
comment, clause, version, response or anything else a reading page shows. Signed-in people always get a fresh
page (it carries their name and a CSRF token), and so does anyone with a message waiting to be flashed.

Storage is Redis when REDIS_URL is set (shared by every worker); otherwise a bounded in-process LRU with a short
time-to-live, so several workers without Redis are at most PAGE_CACHE_SECONDS behind one another.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

GENERATION_KEY = "korero:content-generation"
# Tables whose rows reading pages show; a commit touching any of them invalidates every cached page.
WATCHED_TABLES = frozenset(
    {
        "policies",
        "versions",
        "sections",
        "clauses",
        "comments",
        "campaign_groups",
        "comment_placements",
        "responses",
        "comment_reports",
        "audit_events",
    }
)


class _LocalStore:
    """A thread-safe LRU of (expires_at, value), bounded in entries."""

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self.generation = 0

    def get(self, key: str) -> Any:
        with self._lock:
            item = self._entries.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return item[1]

    def set(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class PageCache:
    """Cached page bodies for anonymous GETs, with a content generation that invalidates them all."""

    def __init__(self, redis_url: str | None, ttl: float, max_entries: int = 512) -> None:
        self.ttl = ttl
        self.local = _LocalStore(max_entries)
        self.redis: Any = None
        if redis_url:
            import redis

            self.redis = redis.Redis.from_url(redis_url, socket_timeout=0.5)

    def generation(self) -> int:
        if self.redis is not None:
            try:
                return int(self.redis.get(GENERATION_KEY) or 0)
            except Exception:
                return -1
        return self.local.generation

    def bump(self) -> None:
        """Invalidate every cached page (after a commit that changed what pages show)."""
        self.local.generation += 1
        self.local.clear()
        if self.redis is not None:
            try:
                self.redis.incr(GENERATION_KEY)
            except Exception:
                current_app.logger.warning("page cache: could not bump the generation in Redis")

    def get(self, key: str) -> tuple[bytes, str] | None:
        value = self.local.get(key)
        if value is not None or self.redis is None:
            return value
        try:
            raw = self.redis.get(key)
        except Exception:
            return None
        if raw is None:
            return None
        mimetype, _, body = raw.partition(b"\n")
        value = (body, mimetype.decode())
        self.local.set(key, value, self.ttl)
        return value

    def set(self, key: str, body: bytes, mimetype: str, ttl: float | None = None) -> None:
        ttl = self.ttl if ttl is None else ttl
        self.local.set(key, (body, mimetype), ttl)
        if self.redis is not None:
            try:
                # Redis copies are shared by every worker and invalidated by the generation, so they may
                # live longer than the local copies; the TTL only bounds memory.
                self.redis.set(key, mimetype.encode() + b"\n" + body, ex=max(60, int(ttl * 20)))
            except Exception:
                return


def page_cache() -> PageCache:
    return current_app.extensions["korero_page_cache"]


def _cacheable_request() -> bool:
    return (
        current_app.config["PAGE_CACHE_SECONDS"] > 0
        and request.method == "GET"
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def cached_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve a view's page from the cache to anonymous readers; render and store it on a miss."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _cacheable_request():
            return view(*args, **kwargs)
        cache = page_cache()
        generation = cache.generation()
        if generation < 0:
            return view(*args, **kwargs)
        key = f"korero:page:{generation}:{get_locale()}:{request.full_path}"
        hit = cache.get(key)
        if hit is not None:
            body, mimetype = hit
            response = Response(body, mimetype=mimetype)
            response.headers["X-Page-Cache"] = "hit"
            return response
        response = current_app.make_response(view(*args, **kwargs))
        # Store only a plain page that set no cookie: nothing personal can leak into the shared copy.
        if (
            response.status_code == 200
            and "Set-Cookie" not in response.headers
            and not response.direct_passthrough
        ):
            ttl = float(current_app.config["PAGE_CACHE_SECONDS"])
            cache.set(key, response.get_data(), response.mimetype or "text/html", ttl)
            response.headers["X-Page-Cache"] = "miss"
        return response

    return wrapper


def _touches_watched_tables(session: Session) -> bool:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in WATCHED_TABLES:
            return True
    return False


def init_app(app: Flask) -> None:
    """Create the app's page cache; commits anywhere bump it through the session events below."""
    app.config.setdefault("PAGE_CACHE_SECONDS", 10.0)
    cache = PageCache(app.config.get("REDIS_URL"), float(app.config["PAGE_CACHE_SECONDS"]))
    app.extensions["korero_page_cache"] = cache
    _caches.append(cache)
    del _caches[:-8]  # tests build many apps; keep the newest few


# Session events are global to SQLAlchemy, so they are registered once, here, and bump every live cache.
_caches: list[PageCache] = []
_CHANGED = "korero_pages_changed"


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _flush_context: UOWTransaction, _instances: Any) -> None:
    if _touches_watched_tables(session):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: Any) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and any(
        getattr(mapper, "local_table", None) is not None and mapper.local_table.name in WATCHED_TABLES
        for mapper in state.all_mappers
    ):
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        for cache in list(_caches):
            cache.bump()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)
