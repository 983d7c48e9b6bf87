"""PDF downloads in a real browser: the links on the version page give PDFs (after a 'preparing' page if big)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

pytestmark = pytest.mark.browser

POLICY = "/policies/data-protection-and-use-policy"
FINAL = f"{POLICY}/versions/final"


def download(page: Page, link_name: str | re.Pattern[str]) -> PdfReader:
    """Click a link and wait for the PDF (a big one is prepared first; that page's script starts the download)."""
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("link", name=link_name).first.click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def test_a_reader_downloads_the_version_pdf_and_the_redline(page: Page) -> None:
    page.goto(FINAL)
    reader = download(page, re.compile(r"^Download PDF"))
    assert reader.metadata.title == "Data Protection and Use Policy (Final)"
    assert len(reader.pages) >= 10
    page.goto(FINAL)
    redline = download(page, re.compile(r"^Redline PDF"))
    assert "Summary of changes" in redline.pages[1].extract_text()


def test_the_preparing_page_is_accessible(page: Page, axe_check) -> None:
    # Nothing renders this version ahead of time and it is big, so the first request gets the preparing page.
    with page.expect_download(timeout=120_000) as info:
        page.goto(f"{POLICY}/versions/revised-draft/pdf")
        expect(page.get_by_role("heading", name="Preparing your PDF")).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("making its PDF")
        axe_check(page)
    # ... and its script starts the download by itself when the PDF is ready.
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF-")


def test_a_reviewer_downloads_the_staff_comments_report(page: Page, sign_in) -> None:
    sign_in(page, "reviewer")
    page.goto(FINAL)
    reader = download(page, re.compile(r"^Full comments report"))
    assert "Comments report" in reader.pages[0].extract_text()


def test_the_review_page_lists_versions_and_its_report_downloads(page: Page, sign_in, axe_check) -> None:
    sign_in(page, "reviewer")
    page.goto("/review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review")
    axe_check(page)
    reader = download(page, re.compile(r"^Full comments report \(PDF\) — Final"))
    assert "Comments report" in reader.pages[0].extract_text()
