"""Helpers shared by the revisions tests (drafting, compare, carry-forward, responses)."""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes

import pytest
from sqlalchemy import select

from app.extensions import limiter
from app.models import Clause, Version
from tests.hostile import payloads

POLICY = "data-protection-and-use-policy"


def hostile_payloads() -> list[str]:
    """The hostile inputs (the project's own, and the shared floor when it is beside the repository)."""
    return payloads()


def form_body(fields: dict[str, str]) -> bytes:
    """URL-encode a form by hand, so lone surrogates and NULs reach the server as bytes a browser could send."""
    return "&".join(
        f"{key}={quote_from_bytes(str(value).encode('utf-8', 'surrogatepass'))}"
        for key, value in fields.items()
    ).encode("ascii")


FORM = "application/x-www-form-urlencoded"
ACTIVE_MARKUP = re.compile(
    r"<(script|iframe|svg|img|math|style|base|meta|form|details|link|image)\b"
    r"|<[a-z][^>]*\son[a-z]+\s*="
    r"|(href|src|action)\s*=\s*[\"']?\s*(javascript|vbscript|data):",
    re.IGNORECASE,
)


def assert_inert(html: str, payload: str) -> None:
    """No element, handler or URL from `payload` became active in `html` (our own pages have none of these)."""
    for match in ACTIVE_MARKUP.finditer(html):
        tag = html[match.start() :].split(">", 1)[0]
        # The page's own markup (its forms, stylesheet, scripts) is fine; markup that came from the payload is not.
        assert tag not in payload, f"active markup from the payload: {tag!r}"
    if "<" in payload:
        assert payload not in html, "the payload appears unescaped"


def version(session, slug: str) -> Version:
    return session.scalars(select(Version).where(Version.slug == slug)).one()


def clause(session, version_slug: str, key: str) -> Clause:
    v = version(session, version_slug)
    return session.scalars(select(Clause).where(Clause.version_id == v.id, Clause.key == key)).one()


@pytest.fixture
def no_rate_limits():
    """Run without rate limits even if an earlier test left the shared limiter switched on.

    (Seen: in some orders of the whole suite `limiter.enabled` is True when these tests start, and the
    login form answers 429. These tests are not about limits; the drafting routes' limits are declared.)
    """
    previous = limiter.enabled
    limiter.enabled = False
    yield
    limiter.enabled = previous
