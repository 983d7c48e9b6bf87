"""The page cache for anonymous readers: targeted invalidation by tags, one render per page at a time.

A cached page depends on *tags* named from its URL: `site`, `policies`, `policy:<p>`, `version:<p>/<v>`,
`section:<p>/<v>/<s>` and the comment tags `comments`, `comments:<p>`, `comments:<p>/<v>`; a comment also moves
`clause:<id>`, which only the per-clause comment blocks of `app.comments.fragments` depend on. Each tag has two
counters. The *soft* counter moves on every change to what the tag's pages show; a page's cache key holds the
soft counters of its tags, so a change makes a new key and the old copy is never served as fresh. The *hard*
counter moves only on changes that take something away (a comment hidden, withdrawn or edited, a name changed, a
version's period moved): the last copy of a page may stand in while another request renders the new one (the
stampede guard), and for PAGE_CACHE_MIN_AGE seconds after it was made (so a page is rendered at most about once
a second while comments stream in), but only while its hard counters still match, so hidden words are never
served after a hide.

What changed is read from the session when it flushes (`tags_for` maps each new, changed or deleted row to the
tags it shows up under) and sent after the commit, so a rolled-back request invalidates nothing. A bulk statement
on a table that pages show, in a transaction that named no tags, conservatively moves `site`. Services may name
tags themselves with `touch(session, *tags)`.

A page whose versions open or close for comment within its lifetime expires at that moment: the period changes
the page without any commit. A page that shows words the clock changes at other moments ("closes in 3 days"
becomes "closes in 2 days" at New Zealand midnight) says so with `expire_page_at(moment)` while it renders.

Signed-in readers who see what a visitor sees (no staff role) get a *member copy* of a page whose view opts in
(`@cached_page(personal=...)`): the page rendered once per role with a hole where the reader's CSRF token goes
and marked places for what is theirs, kept as its `Personal.prepare` cuts it; each request fills the hole and
lets `Personal.fill` put the reader's own parts in (`app.comments.fragments.SECTION_COPY`). While a member copy renders,
`rendering_member_copy()` is true and the view must render nothing that belongs to the reader.

Storage is Flask-Caching's Redis backend when REDIS_URL is set (shared by every worker: there is no local copy
to outlive it) and its in-process SimpleCache otherwise. With Redis, each process also keeps its most recent
pages in memory under the same keys: a key holds the tag counters, so a local copy can never be out of date,
and it expires when the shared one does. If Redis cannot be reached, pages are rendered and not
cached; if a bump fails after a commit, the cache is bypassed until Redis answers again and every page is
dropped (`site` moved) on recovery, so nothing stale is served.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale
from flask_caching.backends import RedisCache, SimpleCache
from flask_caching.backends.base import BaseCache
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, UOWTransaction, object_session

# Tables whose rows reading pages show; a bulk statement on one that names no tags moves `site`.
WATCHED_TABLES = frozenset(
    {
        "policies",
        "policy_documents",
        "versions",
        "sections",
        "clauses",
        "comments",
        "campaign_groups",
        "comment_placements",
        "responses",
        "comment_reports",
        "users",
        "submissions",
        "questions",
        "engagement_events",
    }
)
SITE = "site"
LOCK_SECONDS = 10  # a render that takes longer than this lets the next request render too
WAIT_FOR_RENDER = 1.5  # without a usable stale copy, wait this long for another request's render
STALE_SECONDS = 3600  # how long the last copy of a page is kept to stand in during a render

LOCAL_PAGES = 128  # pages each process keeps in memory beside the shared store
CSRF_HOLE = "korero-csrf-hole-5e1f0c"  # stands for the reader's CSRF token in a member copy

_EPOCH = "korero:tag:epoch"
_SOFT = "korero:tag:soft:"
_HARD = "korero:tag:hard:"
_PENDING = "korero_cache_tags"


class PageCache:
    """Pages, their last copies, and the tag counters, in one Flask-Caching store."""

    def __init__(self, redis_url: str | None, ttl: float, max_entries: int = 2048) -> None:
        self.ttl = ttl
        self.shared = bool(redis_url)
        self.store: BaseCache
        if redis_url:
            import redis

            client = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            self.store = RedisCache(host=client, default_timeout=int(max(ttl, 1)))
        else:
            self.store = SimpleCache(threshold=max_entries, default_timeout=int(max(ttl, 1)))
        self._lock = threading.Lock()
        self._local: OrderedDict[str, tuple[float, Any]] = OrderedDict()  # key -> (expires at, value)
        self._distrust_until = 0.0  # after a failed bump: bypass the cache until the store answers again
        self.hits = 0
        self.misses = 0

    # --- tag counters -------------------------------------------------------------------------------

    def counters(self, tags: Iterable[str]) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """The soft and hard counters of `tags`, or None when the cache cannot be trusted now."""
        tags = list(tags)
        if self._distrust_until and (time.monotonic() < self._distrust_until or not self._recover()):
            return None
        try:
            *values, epoch = self.store.get_many(
                *(_SOFT + t for t in tags), *(_HARD + t for t in tags), _EPOCH
            )
            if epoch is None:  # a new (or restarted, emptied) store: counters start again from nothing
                self.store.add(_EPOCH, secrets.randbelow(2**31) + 1, timeout=0)
                epoch = self.store.get(_EPOCH)
        except Exception:  # the store is down: render every page, cache none
            return None
        numbers = tuple(int(v or 0) for v in values)
        # The epoch leads the soft counters, so keys made before a store was emptied are never met again.
        return (int(epoch or 0), *numbers[: len(tags)]), numbers[len(tags) :]

    def bump(self, tags: Iterable[str], hard: Iterable[str] = ()) -> None:
        """Invalidate the pages of `tags` (and let no stale copy stand in for those of `hard`)."""
        hard = set(hard)
        try:
            self._inc_many([_SOFT + tag for tag in set(tags) | hard] + [_HARD + tag for tag in hard])
        except Exception:
            current_app.logger.error("page cache: invalidation failed; bypassing the cache until it recovers")
            self._distrust_until = time.monotonic() + 1.0

    def _inc_many(self, keys: list[str]) -> None:
        """INCR every key, in one round trip to Redis (a comment names four or five tags)."""
        if not self.shared:
            for key in keys:
                self._inc(key)
            return
        store: Any = self.store  # cachelib's RedisCache: its client and key prefix
        pipe = store._write_client.pipeline(transaction=False)
        for key in keys:
            pipe.incr(store.key_prefix + key)
        pipe.execute()

    def _inc(self, key: str) -> None:
        if self.shared:
            self.store.inc(key)
            return
        with self._lock:  # SimpleCache's inc is a read and a write
            self.store.set(key, int(self.store.get(key) or 0) + 1, timeout=0)

    def _recover(self) -> bool:
        try:
            self._inc(_SOFT + SITE)
            self._inc(_HARD + SITE)
        except Exception:
            self._distrust_until = time.monotonic() + 1.0
            return False
        self._distrust_until = 0.0
        return True

    # --- pages --------------------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        try:
            return self.store.get(key)
        except Exception:
            return None

    def set(self, key: str, value: Any, ttl: float) -> None:
        try:
            self.store.set(key, value, timeout=max(1, int(ttl)))
        except Exception:
            return

    def page(self, key: str) -> Any:
        """A page stored under a key that carries its tag counters: the local copy first, then the store."""
        if self.shared:
            with self._lock:
                found = self._local.get(key)
                if found is not None:
                    if found[0] > time.time():
                        self._local.move_to_end(key)
                        return found[1]
                    del self._local[key]
        value = self.get(key)
        if value is not None and self.shared and len(value) > 3:
            self._keep(key, value)
        return value

    def set_page(self, key: str, value: Any, ttl: float) -> None:
        self.set(key, value, ttl)
        if self.shared:
            self._keep(key, value)

    def keep(self, key: str, value: Any, until: float) -> None:
        """Answer `key` with `value` from this process's memory until `until` (a time.time())."""
        if self.shared:
            with self._lock:
                self._local[key] = (until, value)
                self._local.move_to_end(key)

    def _keep(self, key: str, value: Any) -> None:
        with self._lock:
            self._local[key] = (value[3], value)
            self._local.move_to_end(key)
            while len(self._local) > LOCAL_PAGES:
                self._local.popitem(last=False)

    def claim(self, key: str) -> bool:
        """Become the one request rendering `key` (True), or learn that another one is (False)."""
        try:
            return bool(self.store.add("korero:lock:" + key, 1, timeout=LOCK_SECONDS))
        except Exception:
            return True

    def release(self, key: str) -> None:
        try:
            self.store.delete("korero:lock:" + key)
        except Exception:
            return


def page_cache() -> PageCache:
    return current_app.extensions["korero_page_cache"]  # type: ignore[no-any-return]


# --- which tags a page depends on ---------------------------------------------------------------------


def page_tags(view_args: dict[str, Any]) -> list[str]:
    """The tags of a reading page, from its URL's arguments."""
    tags = [SITE]
    policy = view_args.get("policy_slug")
    if policy is None:
        return [*tags, "policies", "comments"]
    tags.append(f"policy:{policy}")
    versions = [
        v for v in (view_args.get("version_slug"), view_args.get("from_slug"), view_args.get("to_slug")) if v
    ]
    if not versions:
        return [*tags, f"comments:{policy}"]
    tags += [f"version:{policy}/{v}" for v in versions]
    section = view_args.get("section_key")
    if section is not None:
        tags.append(f"section:{policy}/{versions[0]}/{section}")
    elif "version_slug" in view_args:
        tags.append(f"comments:{policy}/{versions[0]}")
    return tags


def _related(obj: Any, name: str, model: str) -> Any:
    """`obj.<name>`, loaded by its id when the relationship is not set yet (a new row built from ids)."""
    value = getattr(obj, name, None)
    if value is None:
        import app.models

        value = object_session(obj).get(getattr(app.models, model), getattr(obj, f"{name}_id"))  # type: ignore[union-attr]
    return value


def version_tags(version: Any) -> list[str]:
    """The tags of a version's own pages and of its policy's."""
    policy = version.policy.slug
    return [f"policy:{policy}", f"version:{policy}/{version.slug}"]


def comment_tags(comment: Any) -> list[str]:
    """The tags of the pages a comment shows on (its section, version and policy lists, the site's totals)."""
    return _comment_tags(comment)


def clause_tag(clause_id: int) -> str:
    """The tag of one clause's comment block (`app.comments.fragments`): moved by a change to its comments."""
    return f"clause:{clause_id}"


def _comment_tags(comment: Any) -> list[str]:
    version = _related(comment, "version", "Version")
    policy = version.policy.slug
    clause = _related(comment, "clause", "Clause")
    return [
        "comments",
        f"comments:{policy}",
        f"comments:{policy}/{version.slug}",
        f"section:{policy}/{version.slug}/{clause.section.key}",
        clause_tag(clause.id),
    ]


def _reader_tags(comment: Any) -> list[str]:
    """The tag of each reader whose own comments this changes (`app.comments.fragments.own_clauses`)."""
    history = sa_inspect(comment).attrs["user_id"].history
    owners = {comment.user_id, *history.deleted}
    return [f"reader:{owner}" for owner in owners if owner is not None]


def submission_tags(version: Any) -> list[str]:
    """The tags of the pages that show a version's submissions (a batched insert names them with `touch`)."""
    policy = version.policy.slug
    return [
        "comments",
        f"comments:{policy}",
        f"comments:{policy}/{version.slug}",
        f"version:{policy}/{version.slug}",
    ]


def _policy_of(obj: Any) -> str:
    return str(_related(obj, "version", "Version").policy.slug)


def tags_for(obj: Any, is_new: bool) -> tuple[list[str], bool]:
    """The tags a changed row shows up under, and whether the change takes something away (hard)."""
    table = getattr(obj, "__tablename__", None)
    if table == "comments":
        # A new comment only adds to its pages; an edit, a withdrawal or a hide takes words away, and the
        # comment may be carried onto later versions' pages: every page of its policy.
        if is_new:
            return [*_comment_tags(obj), *_reader_tags(obj)], False
        return [*_comment_tags(obj), *_reader_tags(obj), f"policy:{_policy_of(obj)}"], True
    if table in {"submissions", "questions"}:
        # A version page shows how many submissions it has; a change to one takes words away (hard).
        return submission_tags(_related(obj, "version", "Version")), not is_new
    if table == "engagement_events":
        # Listed on its policy's page and its version's page; an edit or a deletion takes something away.
        version = _related(obj, "version", "Version")
        return version_tags(version), not is_new
    if table == "comment_reports":
        return [], False  # reports are not shown; a hold that follows changes the comment itself
    if table in {"campaign_groups", "responses", "comment_placements"}:
        policy = _policy_of(obj)
        return [f"comments:{policy}", f"policy:{policy}"], not is_new
    if table == "clauses":
        return version_tags(obj.section.version), True
    if table == "sections":
        return version_tags(obj.version), True
    if table == "versions":
        return ["policies", *version_tags(obj)], True
    if table == "policies":
        return ["policies", f"policy:{obj.slug}"], True
    if table == "policy_documents":
        return [f"policy:{_related(obj, 'policy', 'Policy').slug}"], not is_new
    if table == "users":
        # Only a name shows on pages (beside its comments, on any page); sign-in counters and the like do not.
        if not is_new and (obj in object_session(obj).deleted or _changed(obj, "display_name")):  # type: ignore[union-attr]
            return [SITE], True
        return [], False
    return [], False


def _changed(obj: Any, attribute: str) -> bool:
    return bool(sa_inspect(obj).attrs[attribute].history.has_changes())


def touch(db_session: Session, *tags: str, hard: bool = False) -> None:
    """Name tags this unit of work changed (beside what the flush finds); sent after the commit."""
    soft, strong = db_session.info.setdefault(_PENDING, (set(), set()))
    (strong if hard else soft).update(tags)


# --- the decorator ------------------------------------------------------------------------------------


def _cacheable_request() -> bool:
    return (
        current_app.config["PAGE_CACHE_SECONDS"] > 0
        and request.method == "GET"
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def _member_request() -> bool:
    """A signed-in reader who sees what a visitor sees (staff see more), with no message waiting."""
    return (
        current_app.config["PAGE_CACHE_SECONDS"] > 0
        and request.method == "GET"
        and current_user.is_authenticated
        and not current_user.sees_everything
        and "_flashes" not in session
    )


_EXPIRES = "korero_page_expires_at"
_MEMBER_COPY = "korero_member_copy"


def rendering_member_copy() -> bool:
    """Whether the page being rendered is a member copy: nothing of the reader's may go into it."""
    return bool(has_request_context() and g.get(_MEMBER_COPY))


def expire_page_at(moment: dt.datetime) -> None:
    """Let the page being rendered expire at `moment` at the latest (its words change then, by the clock)."""
    if has_request_context():
        current = g.get(_EXPIRES)
        if current is None or moment < current:
            setattr(g, _EXPIRES, moment)


def _ttl_until_period_changes(ttl: float, db_session: Session) -> float:
    """Cap `ttl` so the page expires when a version it loaded opens or closes for comment."""
    from app.models import Version

    now = dt.datetime.now(dt.UTC)
    expires = g.pop(_EXPIRES, None) if has_request_context() else None
    if expires is not None:
        ttl = min(ttl, (expires - now).total_seconds())
    for obj in list(db_session.identity_map.values()):
        if isinstance(obj, Version):
            for moment in (obj.comments_open_at, obj.comments_close_at):
                if moment is not None and moment > now:
                    ttl = min(ttl, (moment - now).total_seconds())
    return ttl


@dataclass(frozen=True)
class Personal:
    """How a view's member copy is kept and filled in for each reader."""

    prepare: Callable[[str], Any]  # once per render: the page (its CSRF token already a hole) as it is stored
    fill: Callable[[Any], str]  # per request: this reader's page from what `prepare` made


def _as_is(html: str) -> str:
    return html


# A page with nothing of the reader's in it but the CSRF token of the sign-out form (the compare page).
NOTHING_PERSONAL = Personal(prepare=_as_is, fill=_as_is)


def cached_page(view: Callable[..., Any] | None = None, *, personal: Personal | None = None) -> Any:
    """Serve a view's page from the cache to anonymous readers; render it once per change otherwise.

    With `personal`, signed-in readers who are not staff get the member copy, filled in by `personal.fill`.
    """
    if view is None:
        return lambda inner: cached_page(inner, personal=personal)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        member = personal is not None and _member_request()
        if not (member or _cacheable_request()):
            return view(*args, **kwargs)
        cache = page_cache()
        counters = cache.counters(page_tags(request.view_args or {}))
        if counters is None:
            return view(*args, **kwargs)
        soft, hard = counters
        where = hashlib.sha256(f"{get_locale()}\x1f{request.full_path}".encode()).hexdigest()[:32]
        kind = f"member:{current_user.role}" if member else "page"
        key = f"korero:{kind}:{where}:" + ".".join(map(str, soft))
        stale_key = f"korero:stale:{kind}:{where}"
        found, how = cache.page(key), "hit"
        claimed = False
        if found is None:
            found, how = _recent(cache, key, stale_key, hard), "stale"
        if found is None:
            claimed = cache.claim(key)
            if not claimed:
                found, how = _stand_in(cache, key, stale_key, hard)
        try:
            if found is None:
                response, found = _render(
                    view, args, kwargs, personal if member else None, cache, key, stale_key, hard
                )
                if found is None or not member:
                    return response
                how = "miss"
            if member:
                return _member_response(cache, found, personal, how)  # type: ignore[arg-type]
            return _cached_response(cache, found, how)
        finally:
            if claimed:
                cache.release(key)

    return wrapper


def _recent(cache: PageCache, key: str, stale_key: str, hard: tuple[int, ...]) -> Any:
    """The last copy, if it was made under PAGE_CACHE_MIN_AGE seconds ago and nothing was taken away since.

    While comments stream in, each one changes the section's key; without this floor the page would be
    rendered again for every comment. With it, a page shows additions at most that many seconds late (the
    poster's own page, which carries their "thank you" message, is never a copy), and removals at once.
    """
    floor = float(current_app.config.get("PAGE_CACHE_MIN_AGE", 0))
    if floor <= 0:
        return None
    stale = cache.get(stale_key)
    if stale is None or len(stale) < 5 or tuple(stale[2]) != hard or time.time() - stale[4] >= floor:
        return None
    cache.keep(key, stale, until=stale[4] + floor)  # this process answers the new key from memory meanwhile
    return stale


def _stand_in(cache: PageCache, key: str, stale_key: str, hard: tuple[int, ...]) -> tuple[Any, str]:
    """Another request is rendering `key`: its last copy if nothing was taken away since, else wait a moment."""
    stale = cache.get(stale_key)
    if stale is not None and tuple(stale[2]) == hard:
        return stale, "stale"
    deadline = time.monotonic() + WAIT_FOR_RENDER
    while time.monotonic() < deadline:
        time.sleep(0.02)
        found = cache.page(key)
        if found is not None:
            return found, "hit"
    return None, "miss"


def _render(
    view: Callable[..., Any],
    args: Any,
    kwargs: Any,
    personal: Personal | None,
    cache: PageCache,
    key: str,
    stale_key: str,
    hard: tuple[int, ...],
) -> tuple[Response, Any]:
    """Render the page and store it if it is plain: (the response, the stored value or None)."""
    g.setdefault(_MEMBER_COPY, personal is not None)
    try:
        response = current_app.make_response(view(*args, **kwargs))
    finally:
        g.pop(_MEMBER_COPY, None)
    # Store only a plain page that set no cookie: nothing personal can leak into the shared copy.
    if response.status_code != 200 or "Set-Cookie" in response.headers or response.direct_passthrough:
        return response, None
    from app.boundary import current_session

    ttl = _ttl_until_period_changes(float(current_app.config["PAGE_CACHE_SECONDS"]), current_session())
    body: Any = response.get_data()
    if personal is not None:
        body = personal.prepare(response.get_data(as_text=True).replace(generate_csrf(), CSRF_HOLE))
    value = (body, response.mimetype or "text/html", hard, time.time() + ttl, time.time())
    if ttl >= 1:
        cache.set_page(key, value, ttl)
        cache.set(stale_key, value, STALE_SECONDS)
    response.headers["X-Page-Cache"] = "miss"
    cache.misses += 1
    _record("miss")
    return response, value


def _cached_response(cache: PageCache, value: Any, how: str) -> Response:
    body, mimetype = value[0], value[1]
    response = Response(body, mimetype=mimetype)
    response.headers["X-Page-Cache"] = how
    cache.hits += 1
    _record("hit")
    return response


def _member_response(cache: PageCache, value: Any, personal: Personal, how: str) -> Response:
    """The member copy with this reader's parts put in and their CSRF token in its hole."""
    body = personal.fill(value[0]).replace(CSRF_HOLE, generate_csrf())
    response = Response(body, mimetype=value[1])
    response.headers["X-Page-Cache"] = f"member-{how}"
    if how != "miss":
        cache.hits += 1
        _record("hit")
    return response


def _record(outcome: str) -> None:
    """Count a hit or a miss for the metrics endpoint."""
    from app.observability import record_cache_hit, record_cache_miss

    (record_cache_hit if outcome == "hit" else record_cache_miss)()


# --- finding what changed -----------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Create the app's page cache; commits anywhere invalidate it through the session events below."""
    app.config.setdefault("PAGE_CACHE_SECONDS", 30.0)
    app.config.setdefault("PAGE_CACHE_MIN_AGE", 1.0)
    cache = PageCache(app.config.get("REDIS_URL"), float(app.config["PAGE_CACHE_SECONDS"]))
    app.extensions["korero_page_cache"] = cache


# Session events are global to SQLAlchemy, so they are registered once, here; each bumps its own app's cache.


def _pending(db_session: Session) -> tuple[set[str], set[str]]:
    return db_session.info.setdefault(_PENDING, (set(), set()))  # type: ignore[no-any-return]


@event.listens_for(Session, "before_flush")
def _note_changes(db_session: Session, _flush_context: UOWTransaction, _instances: Any) -> None:
    soft, hard = _pending(db_session)
    changed = [(obj, True) for obj in db_session.new]
    changed += [(obj, False) for obj in (*db_session.dirty, *db_session.deleted)]
    for obj, is_new in changed:
        if getattr(obj, "__tablename__", None) not in WATCHED_TABLES:
            continue
        if not is_new and obj in db_session.dirty and not db_session.is_modified(obj):
            continue
        try:
            tags, takes_away = tags_for(obj, is_new)
        except (AttributeError, TypeError, KeyError):
            tags, takes_away = [SITE], True  # a row whose pages cannot be named yet (its parents are new too)
        (hard if takes_away else soft).update(tags)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: Any) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    tables = {getattr(mapper, "local_table", None) for mapper in state.all_mappers}
    table = getattr(state.statement, "table", None)  # Core statements on a Table have no mapper
    tables.add(table)
    if any(t is not None and t.name in WATCHED_TABLES for t in tables):
        state.session.info.setdefault("korero_cache_bulk", True)


@event.listens_for(Session, "after_commit")
def _bump_after_commit(db_session: Session) -> None:
    soft, hard = db_session.info.pop(_PENDING, (set(), set()))
    if db_session.info.pop("korero_cache_bulk", False) and not (soft or hard):
        hard = {SITE}  # a bulk change we cannot place: drop every page
    if (soft or hard) and has_app_context():
        cache = current_app.extensions.get("korero_page_cache")
        if cache is not None:  # the cache of the app this session serves: one per process in production
            cache.bump(soft, hard)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(db_session: Session) -> None:
    db_session.info.pop(_PENDING, None)
    db_session.info.pop("korero_cache_bulk", None)
