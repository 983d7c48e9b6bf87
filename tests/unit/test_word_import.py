"""Importing a first draft from Word (app/consultations/word.py): headings → sections, paragraphs → clauses."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from app.consultations.word import WordImportError, docx_to_markdown, looks_like_docx
from app.drafts.parsing import parse_draft

FRONT = "---\ntitle: Street Trees\nversion: Consultation draft\nstatus: working\n---\n"


def word_file(build) -> bytes:
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def sample(document) -> None:
    document.add_paragraph("Street Trees Policy", style="Title")
    document.add_heading("Purpose", 1)
    document.add_paragraph("Trees keep streets cool; this says *how* we [plant] them {#sneaky}.")
    paragraph = document.add_paragraph("Councils ")
    paragraph.add_run("must").bold = True
    paragraph.add_run(" plant native species.")
    document.add_paragraph("1. A paragraph that starts like a list")
    document.add_heading("Principles", 2)
    document.add_paragraph("Shade first", style="List Bullet")
    document.add_paragraph("Water wisely", style="List Bullet")
    document.add_table(rows=1, cols=2).cell(0, 0).text = "left out"


def test_headings_become_sections_and_paragraphs_and_items_clauses():
    data = word_file(sample)
    assert looks_like_docx(data)
    result = docx_to_markdown(data)
    document = parse_draft(FRONT + result.markdown)
    assert [s.heading for s in document.sections] == ["Purpose", "Principles"]
    assert [c.text for c in document.sections[0].clauses] == [
        "Trees keep streets cool; this says *how* we [plant] them {#sneaky}.",
        "Councils must plant native species.",
        "1. A paragraph that starts like a list",
    ]
    assert [c.text for c in document.sections[1].clauses] == ["Shade first", "Water wisely"]
    assert "**must**" in result.markdown
    assert result.notes == ["tables"]
    # Word's markup characters are text, not keys or emphasis
    assert not any(c.explicit_key for c in document.clauses)


def test_text_before_the_first_heading_gets_a_section_of_its_own():
    def build(document):
        document.add_paragraph("A short note before any heading.")
        document.add_heading("Scope", 1)
        document.add_paragraph("Every street.")

    result = docx_to_markdown(word_file(build))
    document = parse_draft(FRONT + result.markdown)
    assert [s.heading for s in document.sections] == ["Introduction", "Scope"]
    assert "introduction" in result.notes


def test_only_web_and_mail_links_are_kept():
    def build(document):
        document.add_heading("Links", 1)
        paragraph = document.add_paragraph("See ")
        part = docx.oxml.shared.OxmlElement("w:hyperlink")
        rel = document.part.relate_to(
            "javascript:alert(1)",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
            is_external=True,
        )
        part.set(docx.oxml.shared.qn("r:id"), rel)
        run = docx.oxml.shared.OxmlElement("w:r")
        text = docx.oxml.shared.OxmlElement("w:t")
        text.text = "this"
        run.append(text)
        part.append(run)
        paragraph._p.append(part)

    result = docx_to_markdown(word_file(build))
    assert "javascript" not in result.markdown
    assert "See this" in result.markdown


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"PK\x03\x04 not really a zip", "damaged"),
        (None, "not_docx"),
    ],
)
def test_files_that_are_not_word_documents_are_refused(data, kind):
    if data is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("hello.txt", "hi")
        data = out.getvalue()
    with pytest.raises(WordImportError) as caught:
        docx_to_markdown(data)
    assert caught.value.kind == kind


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * (41 * 1024 * 1024))
    with pytest.raises(WordImportError) as caught:
        docx_to_markdown(out.getvalue())
    assert caught.value.kind == "too_large"
