"""The diff cache: comparisons kept in memory (per process) and, when Redis is configured, shared by processes.

Versions are immutable once published and a working version's content hash changes with every save, so a
comparison keyed by both versions' ids and content hashes never goes stale. The in-process cache holds the built
view model (locale-free); Redis holds only the engine's changes, as JSON.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from app.diffing.engine import Change, WordOp
from app.diffing.viewmodel import CompareView
from app.models import Version

CACHE_SIZE = 64
REDIS_PREFIX = "korero:diff:v1:"
REDIS_TTL = 30 * 24 * 3600
CacheKey = tuple[Any, ...]


class _LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[CacheKey, CompareView] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: CacheKey) -> CompareView | None:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key: CacheKey, value: CompareView) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


_cache = _LRU(CACHE_SIZE)


def clear_cache() -> None:
    """Forget every cached comparison (tests and benchmarks)."""
    _cache.clear()


def cached_view(key: CacheKey) -> CompareView | None:
    """The view model of a comparison made before in this process, if it is still kept."""
    return _cache.get(key)


def keep_view(key: CacheKey, view: CompareView) -> None:
    """Keep a comparison's view model for the next request of this process."""
    _cache.put(key, view)


def cache_key(old: Version, new: Version) -> CacheKey:
    """The key of a comparison: both versions' ids and content hashes."""
    # Content hashes make a changed working version a new entry; ids keep keys inherited per chain apart.
    return (old.id, old.content_hash, new.id, new.content_hash)


def changes_to_json(changes: Sequence[Change]) -> str:
    return json.dumps(
        [
            {
                "kind": c.kind,
                "old_keys": c.old_keys,
                "new_keys": c.new_keys,
                "section_key": c.section_key,
                "old_section_key": c.old_section_key,
                "old_heading": c.old_heading,
                "new_heading": c.new_heading,
                "old_number": c.old_number,
                "new_number": c.new_number,
                "words": [[op.op, op.text] for op in c.words],
            }
            for c in changes
        ]
    )


def changes_from_json(data: str) -> list[Change]:
    return [
        Change(
            kind=item["kind"],
            old_keys=tuple(item["old_keys"]),
            new_keys=tuple(item["new_keys"]),
            section_key=item["section_key"],
            old_section_key=item["old_section_key"],
            old_heading=item["old_heading"],
            new_heading=item["new_heading"],
            old_number=item["old_number"],
            new_number=item["new_number"],
            words=tuple(WordOp(op, text) for op, text in item["words"]),
        )
        for item in json.loads(data)
    ]


def _redis(redis_url: str | None) -> Any:
    if not redis_url:
        return None
    import redis

    return redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)


def redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.RedisError, OSError)


def shared_changes(redis_url: str | None, key: CacheKey) -> list[Change] | None:
    """The changes another process stored for this comparison, if Redis is configured and has them."""
    client = _redis(redis_url)
    if client is None:
        return None
    try:
        data = client.get(REDIS_PREFIX + ":".join(map(str, key)))
    except redis_errors():  # a cache that is down must not break the page
        return None
    return changes_from_json(data.decode()) if data else None


def share_changes(redis_url: str | None, key: CacheKey, changes: Sequence[Change]) -> None:
    """Store a comparison's changes for the other processes (when Redis is configured)."""
    client = _redis(redis_url)
    if client is None:
        return
    # A cache that is down must not break the page.
    with contextlib.suppress(*redis_errors()):
        client.set(REDIS_PREFIX + ":".join(map(str, key)), changes_to_json(changes), ex=REDIS_TTL)
