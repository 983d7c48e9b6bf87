"""Renditions fetch nothing and embed nothing they should not; a runaway render is cut off.

A canary HTTP listener on loopback records any request; the PDFs are read back with pypdf.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from app.pdf.fetcher import ASSET_BASE, AssetFetcher, RefusedURL
from app.pdf.render import RenderLimits, RenderPool, RenderTimeout, RenditionCache, render_pdf
from tests.factories import make_comment, make_user, make_version
from tests.support.pdf import Canary, cache_files, fresh_cache, pdf_text, read_pdf

PASSWD_MARK = "root:x:0:0"


@pytest.fixture
def canary():
    with Canary() as listener:
        yield listener


@pytest.fixture
def cache(app, tmp_path):
    with fresh_cache(app, tmp_path / "renditions") as fresh:
        yield fresh


def hostile_markdown(url: str) -> str:
    return f"""---
title: Hostile Policy
version: First draft
status: published
date: 2019-03-01
---
# Hostile Policy

## Images and links {{#images}}

1. An image: ![tracker]({url}/markdown-image.png) and a local file: ![passwd](file:///etc/passwd) {{#images-1}}
2. Raw HTML arrives as text: <img src="{url}/raw-image.png"> <link rel="attachment" href="file:///etc/passwd"> {{#images-2}}
3. So does CSS: <style>@import url("{url}/import.css"); body {{ background: url(file:///etc/passwd) }}</style> {{#images-3}}
4. And SVG: <svg><image href="{url}/svg-image.png"/><use href="{url}/use.svg#x"/></svg> [passwd](file:///etc/passwd) {{#images-4}}
"""


def test_hostile_draft_renders_without_fetching_or_embedding(session, client, cache, canary):
    make_version(session, policy_slug="hostile", label="First draft", markdown=hostile_markdown(canary.url))
    for url in (
        "/policies/hostile/versions/first-draft/pdf",
        "/policies/hostile/versions/first-draft/sections/images/pdf",
    ):
        response = client.get(url)
        data = response.get_data()
        response.close()
        assert response.status_code == 200
        reader = read_pdf(data)
        assert not reader.attachments
        text = pdf_text(data)
        assert PASSWD_MARK not in text
        assert "Raw HTML arrives as text" in text
        assert "<link" in text
    assert canary.requests == []


def test_hostile_comment_in_a_report_fetches_nothing(session, client, cache, canary):
    version = make_version(session)
    author = make_user(session)
    body = (
        f"See ![x]({canary.url}/comment.png) and [this]({canary.url}/link) <img src='{canary.url}/raw.png'>"
    )
    make_comment(session, author, version, body=body)
    response = client.get("/policies/test-policy/versions/first-draft/comments/public-report.pdf")
    data = response.get_data()
    response.close()
    assert response.status_code == 200
    assert not read_pdf(data).attachments
    assert "See" in pdf_text(data)
    assert canary.requests == []


def hostile_html(url: str) -> tuple[str, list[str]]:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        f'<image href="{url}/data-svg.png" width="10" height="10"/></svg>'
    )
    html = f"""<!doctype html><html lang="en"><head><title>Hostile</title>
<base href="{url}/base/">
<link rel="stylesheet" href="{url}/linked.css">
<link rel="attachment" href="file:///etc/passwd" title="passwd">
<link rel="attachment" href="{ASSET_BASE}css/pdf.css">
<style>@import url("{url}/imported.css"); @import "file:///etc/passwd";
body {{ background: url("{url}/background.png"); }}
@font-face {{ font-family: Evil; src: url("{url}/font.woff"); }}
p {{ font-family: Evil; }}</style></head>
<body><p>Visible words.</p>
<img src="{url}/image.png"><img src="file:///etc/passwd"><img src="relative.png">
<img src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}">
<svg width="20" height="20"><image href="{url}/inline-svg.png" width="10" height="10"/>
<use href="{url}/use.svg#shape"/><image href="file:///etc/passwd"/></svg>
<a rel="attachment" href="file:///etc/passwd">attached</a>
<a rel="attachment" href="{ASSET_BASE}css/print.css">attached too</a>
<object data="{url}/object.pdf"></object><iframe src="{url}/frame.html"></iframe>
<embed src="file:///etc/passwd"></body></html>"""
    css = [f'@import url("{url}/sheet-import.css"); h1 {{ background: url(file:///etc/passwd); }}']
    return html, css


def test_render_function_refuses_hostile_html_and_css_directly(canary):
    """Defence in depth: even HTML that markdown-it would never produce fetches and embeds nothing."""
    html, css = hostile_html(canary.url)
    data, refused = render_pdf(html, css)
    reader = read_pdf(data)
    assert not reader.attachments
    text = pdf_text(data)
    assert "Visible words." in text
    assert PASSWD_MARK not in text
    assert canary.requests == []
    assert any(url.startswith(canary.url) for url in refused)
    assert any(url.startswith("file:") for url in refused)


def test_sandboxed_pool_refuses_hostile_html_too(canary, tmp_path):
    html, css = hostile_html(canary.url)
    pool = RenderPool(1, RenderLimits(timeout=60, memory_mb=1536))
    try:
        stats = RenditionCache(tmp_path).store("f" * 64, pool, html, css)
    finally:
        pool.close()
    data = (tmp_path / "ff" / f"{'f' * 64}.pdf").read_bytes()
    assert not read_pdf(data).attachments
    assert canary.requests == []
    assert stats.refused_urls


def test_a_runaway_render_is_killed_and_leaves_nothing(tmp_path):
    pool = RenderPool(1, RenderLimits(timeout=60, memory_mb=1536))
    pool.warm()
    pool.limits = RenderLimits(timeout=0.5, memory_mb=1536)
    huge = "<!doctype html><html lang='en'><title>t</title>" + "<p>words words words words</p>" * 40000
    cache = RenditionCache(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(RenderTimeout):
            cache.store("a" * 64, pool, huge, [])
        assert time.monotonic() - started < 30
        assert cache_files(tmp_path) == []
        # The pool replaces the killed worker and carries on.
        pool.limits = RenderLimits(timeout=60, memory_mb=1536)
        cache.store("b" * 64, pool, "<html lang='en'><title>ok</title><p>Fine.</p></html>", [])
        assert [p.name for p in cache_files(tmp_path)] == [f"{'b' * 64}.pdf"]
    finally:
        pool.close()


def test_render_processes_run_under_an_address_space_limit():
    # (A 40,000-row table under a 450 MB limit fails with "ran out of memory"; too slow to run here.)
    pool = RenderPool(1, RenderLimits(timeout=60, memory_mb=900))
    try:
        pool.warm()
        (worker,) = pool._workers
        limits = Path(f"/proc/{worker.process.pid}/limits").read_text()
    finally:
        pool.close()
    line = next(row for row in limits.splitlines() if row.startswith("Max address space"))
    assert line.split()[3:5] == [str(900 * 1024 * 1024)] * 2
    core = next(row for row in limits.splitlines() if row.startswith("Max core file size"))
    assert core.split()[4:6] == ["0", "0"]


# --- the fetcher itself ------------------------------------------------------------------------------


def test_fetcher_serves_bundled_css_and_small_images():
    fetcher = AssetFetcher()
    css = fetcher.fetch(f"{ASSET_BASE}css/pdf.css")
    assert css.content_type == "text/css"
    assert b"@page" in css.read()
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    assert fetcher.fetch(f"data:image/png;base64,{png}").read().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "https://example.org/x.png",
        "file:///etc/passwd",
        "ftp://example.org/x",
        "https://assets.korero.invalid.evil.example/static/css/pdf.css",
        f"{ASSET_BASE}../../config.py",
        f"{ASSET_BASE}..%2F..%2Fconfig.py",
        f"{ASSET_BASE}css/../../__init__.py",
        f"{ASSET_BASE}css/nope.css",
        f"{ASSET_BASE}js/",
        "data:image/svg+xml,<svg/>",
        "data:text/html,<p>x</p>",
        "data:image/png;base64," + "A" * 600_000,
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_everything_else(url):
    fetcher = AssetFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)


def test_fetcher_refuses_symlinks_out_of_static(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "escape.css").symlink_to(Path("/etc/passwd"))
    fetcher = AssetFetcher(static_root=tmp_path)
    with pytest.raises(RefusedURL, match="no such asset"):
        fetcher.fetch(f"{ASSET_BASE}css/escape.css")
