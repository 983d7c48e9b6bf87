"""Issue 13 item 8: a section can carry its heading in te reo Māori beside the English one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.drafts.parsing import DraftParseError, parse_draft
from app.models import Section
from tests.factories import make_version
from tests.integration.test_pdf import get_pdf
from tests.support.pdf import fresh_cache, pdf_text

DRAFT = """---
title: Test Policy
version: First draft
status: published
date: 2019-01-10
---
# Test Policy

## Purpose {mi: Te aronga} {#purpose}

1. This policy explains how agencies look after information about people. {#purpose-1}

## Principles {mi: Ngā mātāpono}

- Put people first when deciding what to collect.
"""


def test_the_draft_gives_a_te_reo_heading_before_the_key():
    document = parse_draft(DRAFT)
    purpose, principles = document.sections
    assert (purpose.key, purpose.heading, purpose.heading_mi) == ("purpose", "Purpose", "Te aronga")
    assert (principles.key, principles.heading, principles.heading_mi) == (
        "principles",
        "Principles",
        "Ngā mātāpono",
    )


def test_a_heading_without_one_has_none():
    document = parse_draft(DRAFT.replace(" {mi: Te aronga}", ""))
    assert document.sections[0].heading_mi == ""
    assert document.sections[0].heading == "Purpose"


@pytest.mark.parametrize(
    ("heading", "message"),
    [
        ("## Purpose {mi:  } {#purpose}", "is empty"),
        ("## Purpose {mi: " + "a" * 301 + "} {#purpose}", "limit is 300"),
    ],
)
def test_a_bad_te_reo_heading_is_a_clear_parse_error(heading, message):
    with pytest.raises(DraftParseError, match=message):
        parse_draft(DRAFT.replace("## Purpose {mi: Te aronga} {#purpose}", heading))


@pytest.fixture
def cache(app, tmp_path):
    with fresh_cache(app, tmp_path / "renditions") as fresh:
        yield fresh


def test_pages_and_pdfs_show_both_headings(client, session, cache):
    version = make_version(session, markdown=DRAFT)
    stored = session.scalar(select(Section).where(Section.version_id == version.id, Section.key == "purpose"))
    assert stored.heading_mi == "Te aronga"
    base = f"/policies/{version.policy.slug}/versions/{version.slug}"
    section = client.get(f"{base}/sections/purpose").text
    h1 = section.split("<h1>")[1].split("</h1>")[0]
    assert "Purpose" in h1
    assert '<span lang="mi">Te aronga</span>' in h1
    page = client.get(base).text
    assert '<span lang="mi">Ngā mātāpono</span>' in page
    text = pdf_text(get_pdf(client, f"{base}/sections/purpose/pdf"))
    assert "Purpose" in text
    assert "Te aronga" in text
