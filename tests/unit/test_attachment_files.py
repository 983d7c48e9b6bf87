"""What an upload is, decided by its bytes; the hostile kinds refused; text extracted from the good ones."""

from __future__ import annotations

import pytest

from app.submissions.extraction import extract
from app.submissions.filetypes import RefusedFile, sniff
from tests.support import files


@pytest.mark.parametrize(
    ("data", "kind", "words"),
    [
        (files.pdf("Kia ora koutou", pages=3), "pdf", "Kia ora koutou"),
        (files.docx("Our organisation supports it"), "docx", "Our organisation supports it"),
        (files.odt("He whakaaro nā mātou"), "odt", "He whakaaro nā mātou"),
        ("Plain words, tēnā koe.\n".encode(), "txt", "tēnā koe"),
    ],
)
def test_good_files_are_known_by_content_and_their_text_is_read(data, kind, words):
    assert sniff(data).kind == kind
    found = extract(kind, data)
    assert words in found.text


def test_pdf_pages_are_counted():
    assert extract("pdf", files.pdf(pages=4)).pages == 4


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("encrypted.pdf", "encrypted"),
        ("macros.docx", "macros"),
        ("xxe.docx", "xml_entities"),
        ("bomb.docx", "zip_bomb"),
        ("polyglot.pdf", "polyglot"),
        ("broken.docx", "malformed"),
        ("page.pdf", "polyglot"),
        ("program.txt", "unknown_type"),
        ("empty.txt", "empty"),
        ("truncated.pdf", "malformed"),
    ],
)
def test_hostile_files_are_refused_with_their_reason(name, reason):
    with pytest.raises(RefusedFile) as refused:
        sniff(files.HOSTILE_FILES[name]())
    assert refused.value.reason == reason


def test_a_zip_with_a_pdf_in_front_is_a_polyglot():
    with pytest.raises(RefusedFile) as refused:
        sniff(files.docx() + files.pdf())
    assert refused.value.reason in {"polyglot", "malformed"}


def test_an_unknown_zip_is_refused():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(RefusedFile) as refused:
        sniff(out.getvalue())
    assert refused.value.reason == "unknown_type"
