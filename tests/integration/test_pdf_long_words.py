"""Untrusted text reaches WeasyPrint broken into pieces it can lay out quickly (the render itself is not timed)."""

from __future__ import annotations

import html
import re

from app.pdf.sanitise import WORD_PIECE, ZERO_WIDTH_SPACE
from app.pdf.services import report_rendition
from tests.factories import make_comment, make_user, make_version
from tests.integration.test_pdf_support import draft


def test_the_public_report_breaks_up_nine_comments_of_one_long_word(app, session):
    version = make_version(session, label="Revised draft", markdown=draft("Revised draft", "published"))
    author = make_user(session, display_name="Long Word", email="long@example.org")
    word = "w" * 9_999
    for _ in range(9):
        make_comment(session, author, version, body=word)
    with app.test_request_context("/"):
        built = report_rendition(session, version, staff=False).build()
    text = html.unescape(re.sub(r"<[^>]*>", " ", built))
    assert "w" * (WORD_PIECE + 1) not in text
    assert text.count(("w" * WORD_PIECE) + ZERO_WIDTH_SPACE) >= 9 * (9_999 // WORD_PIECE)
    assert text.replace(ZERO_WIDTH_SPACE, "").count(word) == 9
