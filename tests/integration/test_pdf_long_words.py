"""Untrusted text reaches WeasyPrint broken into pieces it can lay out quickly (the render itself is not timed)."""

from __future__ import annotations

import html
import re

from app.pdf.sanitise import WORD_PIECE, ZERO_WIDTH_SPACE
from app.pdf.services import report_rendition
from tests.factories import make_comment, make_user, make_version
from tests.support.pdf import draft


def test_the_public_report_breaks_up_nine_comments_of_one_long_word(app, session):
    version = make_version(session, label="Revised draft", markdown=draft("Revised draft", "published"))
    # Nine people, nine different words: identical texts would be one campaign, shown once.
    words = [letter * 9_999 for letter in "abcdefghk"]
    for word in words:
        make_comment(session, make_user(session), version, body=word)
    with app.test_request_context("/"):
        built = report_rendition(session, version, staff=False).build()
    text = html.unescape(re.sub(r"<[^>]*>", " ", built))
    for word in words:
        letter = word[0]
        assert letter * (WORD_PIECE + 1) not in text
        assert text.count((letter * WORD_PIECE) + ZERO_WIDTH_SPACE) >= 9_999 // WORD_PIECE
        assert text.replace(ZERO_WIDTH_SPACE, "").count(word) == 1
