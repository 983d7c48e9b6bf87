"""PDF downloads of versions, sections and redlines: read back with pypdf, cached, conditional, 404s, failures."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.diffing.services import compare_versions
from app.drafts.services import get_section
from app.extensions import db
from app.models import Version
from app.pdf import services
from app.pdf.jobs import get_renditions
from app.pdf.render import RenderError
from tests.factories import make_version
from tests.hostile import payloads as hostile_payloads
from tests.support.pdf import cache_files, draft, fresh_cache, pdf_text, read_pdf

BASE = "/policies/test-policy/versions"
DPUP = "/policies/data-protection-and-use-policy"


@pytest.fixture
def cache(app, tmp_path):
    with fresh_cache(app, tmp_path / "renditions") as fresh:
        yield fresh


@pytest.fixture
def draft_version(session):
    return make_version(session, label="First draft", markdown=draft("First draft", "published"))


@pytest.fixture
def final_version(session, draft_version):
    return make_version(
        session, label="Final", status="final", markdown=draft("Final", "final", "Agencies explain.")
    )


def fetch(client, url: str, **kwargs):
    """GET `url`, read the body and close the response (send_file's file must not leak)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def get_pdf(client, url: str) -> bytes:
    """Download a PDF; a big one is made in the background first (202 + preparing page), so wait for it."""
    response = fetch(client, url)
    if response.status_code == 202:
        get_renditions().jobs.wait(120)
        response = fetch(client, url)
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "application/pdf"
    return response.data


# --- the version PDF ---------------------------------------------------------------------------------


def test_version_pdf_has_cover_contents_numbers_header_and_footer(client, cache, draft_version):
    data = get_pdf(client, f"{BASE}/first-draft/pdf")
    reader = read_pdf(data)
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 4  # cover, contents, and the sections over more than one page
    cover, contents = pages[0], pages[1]
    assert "Test Policy" in cover
    assert "First draft" in cover
    assert "Draft for consultation" in cover
    assert "10 January 2019" in cover or "1 March 2019" in cover
    # The contents lists every section with the page it starts on (target-counter).
    for number, heading in (("1.", "Purpose"), ("2.", "Principles"), ("3.", "Guidelines")):
        match = re.search(rf"{re.escape(number)}\s+{heading}[ .]*(\d+)", contents)
        assert match, contents
        page_number = int(match.group(1))
        assert heading in pages[page_number - 1]
    body = "\n".join(pages[2:])
    for clause_number in ("1.1", "1.2", "2.1", "2.2", "3.1", "3.2"):
        assert clause_number in body
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert "Test Policy" in pages[2]
    assert "First draft" in pages[2]
    assert "First draft" not in pages[0].split("\n")[0] or "Test Policy" not in pages[0].split("\n")[0]


def test_version_pdf_is_accessible_tagged_with_metadata_and_bookmarks(client, cache, draft_version):
    reader = read_pdf(get_pdf(client, f"{BASE}/first-draft/pdf"))
    assert reader.metadata.title == "Test Policy (First draft)"
    assert reader.metadata.author
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-NZ"
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    outline = reader.outline
    titles = [item["/Title"] for item in outline if not isinstance(item, list)]
    nested = [item["/Title"] for group in outline if isinstance(group, list) for item in group]
    assert "Test Policy" in titles
    assert {"1. Purpose", "2. Principles", "3. Guidelines"} <= set(nested)
    assert not reader.attachments


def test_draft_banner_is_on_drafts_and_not_on_the_final(client, cache, final_version):
    draft_text = pdf_text(get_pdf(client, f"{BASE}/first-draft/pdf"))
    final_text = pdf_text(get_pdf(client, f"{BASE}/final/pdf"))
    assert "Draft — not government policy" in draft_text
    assert "Draft — not government policy" not in final_text
    assert "Final" in final_text


def test_section_pdf_renders_inside_the_request(client, cache, draft_version):
    data = get_pdf(client, f"{BASE}/first-draft/sections/principles/pdf")
    text = pdf_text(data)
    assert "Put people first" in text
    assert "2.1" in text
    assert "Put people first" in text
    assert "This policy explains" not in text
    assert len(cache_files(cache.root)) == 1


def test_cached_pdf_is_sent_with_etag_and_last_modified_and_honours_conditionals(
    client, cache, draft_version
):
    url = f"{BASE}/first-draft/sections/purpose/pdf"
    first = fetch(client, url)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    section = get_section(db.session, draft_version, "purpose")
    key = services.section_rendition(db.session, draft_version, section).key
    assert etag == f'"{key}"'
    assert "attachment" in first.headers["Content-Disposition"]
    assert ".pdf" in first.headers["Content-Disposition"]
    again = fetch(client, url)
    assert again.data == first.data
    assert again.headers["ETag"] == etag
    assert fetch(client, url, headers={"If-None-Match": etag}).status_code == 304
    assert fetch(client, url, headers={"If-Modified-Since": modified}).status_code == 304
    assert fetch(client, url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_cache_key_changes_with_content_status_and_stylesheet(session, app, draft_version, monkeypatch):
    key = services.version_rendition(session, draft_version).key
    assert services.version_rendition(session, draft_version).key == key
    draft_version.status = "final"
    assert services.version_rendition(session, draft_version).key != key
    draft_version.status = "published"
    monkeypatch.setattr(services, "template_fingerprint", lambda: "another stylesheet")
    assert services.version_rendition(session, draft_version).key != key


def test_a_large_version_is_made_in_the_background_with_a_preparing_page(app, client, cache, draft_version):
    renditions = get_renditions()
    app.config_inline = renditions.inline_max
    renditions.inline_max = 1000
    try:
        url = f"{BASE}/first-draft/pdf"
        waiting = fetch(client, url)
        assert waiting.status_code == 202
        page = waiting.data.decode()
        assert "Preparing your PDF" in page
        assert "js/pdf-preparing.js" in page
        assert f'href="{url}"' in page  # works without JavaScript too
        assert waiting.headers["Retry-After"] == "3"
        renditions.jobs.wait(60)
        done = fetch(client, url)
        assert done.status_code == 200
        assert done.mimetype == "application/pdf"
        assert "Guidelines" in pdf_text(done.data)
    finally:
        renditions.inline_max = app.config_inline


def test_the_real_policy_final_version(client, cache, imported):
    """The 16-page DPUP final (about 6,000 words): every section in the contents, no draft banner."""
    data = get_pdf(client, f"{DPUP}/versions/final/pdf")
    reader = read_pdf(data)
    assert len(reader.pages) >= 12
    contents = reader.pages[1].extract_text()
    final = db.session.scalar(select(Version).where(Version.slug == "final"))
    for section in final.sections:
        assert section.heading.split(" — ")[0][:20] in contents.replace("\n", " ")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Draft — not government policy" not in text
    assert "He Tāngata" in text
    assert "Kaitiakitanga" in text


def test_redline_of_the_real_policy_has_summary_first_and_the_changed_words(app, client, cache, imported):
    old = db.session.scalar(select(Version).where(Version.slug == "consultation-draft"))
    new = db.session.scalar(select(Version).where(Version.slug == "final"))
    view = compare_versions(db.session, old, new)
    inserted = next(s.text for sec in view.sections for i in sec.items for s in i.inline if s.op == "insert")
    deleted = next(s.text for sec in view.sections for i in sec.items for s in i.inline if s.op == "delete")
    data = get_pdf(client, f"{DPUP}/compare/consultation-draft...final/pdf")
    reader = read_pdf(data)
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert "Summary of changes" in pages[1]
    assert f"{view.total} changes from “Consultation draft” to “Final”" in pages[1]
    text = " ".join(pages)
    assert " ".join(inserted.split()) in text
    assert " ".join(deleted.split()) in text
    assert "⟨+" in text
    assert "⟨−" in text
    assert reader.metadata.title.startswith("Data Protection and Use Policy: changes from Consultation draft")


def test_redline_of_small_versions(client, cache, final_version):
    text = pdf_text(get_pdf(client, "/policies/test-policy/compare/first-draft...final/pdf"))
    assert "Summary of changes" in text
    assert "⟨+" in text
    assert "⟨−" in text
    assert "plainly" in text  # deleted words of the long clause
    assert "Draft — not government policy" not in text  # the newer version is final


# --- not found --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/no-such-version/pdf",
        "/policies/no-such-policy/versions/first-draft/pdf",
        f"{BASE}/first-draft/sections/no-such-section/pdf",
        "/policies/test-policy/compare/first-draft...no-such/pdf",
        "/policies/test-policy/compare/no-such...first-draft/pdf",
        "/policies/test-policy/compare/first-draft...first-draft/pdf",
        "/policies/other-policy/compare/first-draft...final/pdf",
        f"{BASE}/no-such-version/comments/public-report.pdf",
    ],
)
def test_unknown_versions_and_pairs_are_404(client, cache, final_version, url):
    assert fetch(client, url).status_code == 404
    assert cache_files(cache.root) == []


def test_working_versions_have_no_pdf(session, client, cache):
    make_version(
        session, label="Work in progress", status="working", markdown=draft("Work in progress", "working")
    )
    assert fetch(client, f"{BASE}/work-in-progress/pdf").status_code == 404


def test_hostile_path_segments_are_404_not_500(client, cache, draft_version):
    for payload in hostile_payloads():
        segment = quote(payload.encode("utf-8", "surrogatepass"), safe="")
        for url in (
            f"{BASE}/{segment}/pdf",
            f"{BASE}/first-draft/sections/{segment}/pdf",
            f"/policies/test-policy/compare/{segment}...first-draft/pdf",
        ):
            response = fetch(client, url)
            # Werkzeug merges the slashes of a decoded "%2F%2F" and redirects to the local path: fine.
            assert response.status_code in (404, 308), (payload, url)
            if response.status_code == 308:
                assert response.headers["Location"].startswith(("/", "http://korero.test/"))


# --- failures -------------------------------------------------------------------------------------------


def test_a_failed_render_gives_a_clear_error_is_logged_and_leaves_nothing(
    client, cache, draft_version, caplog, monkeypatch
):
    renditions = get_renditions()
    original = renditions.pool.render_to

    def half_written(html, stylesheets, target):
        Path(target).write_bytes(b"%PDF-1.7 half a file")
        raise RenderError("the render took longer than 60 s")

    renditions.pool.render_to = half_written
    # Alembic's fileConfig (run by the session's `upgrade`) disables loggers that existed before it.
    monkeypatch.setattr(logging.getLogger("app.pdf.jobs"), "disabled", False)
    try:
        with caplog.at_level(logging.ERROR, logger="app.pdf.jobs"):
            response = fetch(client, f"{BASE}/first-draft/sections/purpose/pdf")
    finally:
        renditions.pool.render_to = original
    assert response.status_code == 500
    assert "We could not make this PDF" in response.data.decode()
    assert any("failed" in record.getMessage() for record in caplog.records)
    assert cache_files(cache.root) == []
    # The next request tries again and succeeds.
    assert fetch(client, f"{BASE}/first-draft/sections/purpose/pdf").status_code == 200


def test_a_failed_background_render_shows_the_error_once_then_retries(client, cache, draft_version):
    renditions = get_renditions()
    original, inline = renditions.pool.render_to, renditions.inline_max

    def broken(html, stylesheets, target):
        raise RenderError("the render worker died (exit code -9)")

    renditions.pool.render_to, renditions.inline_max = broken, 1000
    try:
        assert fetch(client, f"{BASE}/first-draft/pdf").status_code == 202
        renditions.jobs.wait(30)
        failed = fetch(client, f"{BASE}/first-draft/pdf")
        assert failed.status_code == 500
        assert "We could not make this PDF" in failed.data.decode()
        assert cache_files(cache.root) == []
        renditions.pool.render_to = original
        assert fetch(client, f"{BASE}/first-draft/pdf").status_code == 202  # queued again
        renditions.jobs.wait(30)
        assert fetch(client, f"{BASE}/first-draft/pdf").status_code == 200
    finally:
        renditions.pool.render_to, renditions.inline_max = original, inline


# --- links and the command line -------------------------------------------------------------------------


def test_version_page_links_to_the_pdfs(client, final_version):
    page = fetch(client, f"{BASE}/final").data.decode()
    assert f'href="{BASE}/final/pdf"' in page
    assert 'href="/policies/test-policy/compare/first-draft...final/pdf"' in page
    assert f'href="{BASE}/final/comments/public-report.pdf"' in page
    assert "comments/report.pdf" not in page  # the staff report link is for staff only


def test_cli_renders_every_public_version_and_redline(app, runner, cache, final_version):
    result = runner.invoke(args=["pdf", "render", "test-policy"])
    assert result.exit_code == 0, result.output
    assert "3 PDF(s) rendered, 0 already cached, 0 failed." in result.output
    assert len(cache_files(cache.root)) == 3
    again = runner.invoke(args=["pdf", "render", "--all"])
    assert "0 PDF(s) rendered, 3 already cached" in again.output
    assert runner.invoke(args=["pdf", "render"]).exit_code != 0
