"""Preparing untrusted HTML for WeasyPrint: long words get break opportunities, inline floods are flattened."""

from __future__ import annotations

import html as html_module
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.drafts.rendering import render_clause, render_comment
from app.pdf.sanitise import (
    LONG_WORD,
    MAX_INLINE_ELEMENTS,
    WORD_PIECE,
    ZERO_WIDTH_SPACE,
    break_long_words,
    prepare_html,
)

ZW = ZERO_WIDTH_SPACE


def longest_unbroken(html: str) -> int:
    text = html_module.unescape(re.sub(r"<[^>]*>", " ", html))
    return max((len(word) for word in re.split(rf"[\s{ZW}]+", text)), default=0)


def test_a_long_word_is_broken_every_piece_and_nothing_is_lost():
    word = "x" * 10_001
    broken = break_long_words(word)
    assert broken.replace(ZW, "") == word
    assert longest_unbroken(broken) == WORD_PIECE


@pytest.mark.parametrize(
    "text",
    [
        "Ordinary prose, with punctuation: and a URL https://example.org/a/b.",
        "x" * LONG_WORD,
        "Te Tiriti o Waitangi — kaitiakitanga, manaakitanga, whanaungatanga.",
        "",
    ],
)
def test_ordinary_text_is_unchanged(text):
    assert break_long_words(text) == text
    assert prepare_html(f"<p>{text}</p>") == f"<p>{text}</p>"


def test_character_references_are_never_split():
    html = "<p>" + "&amp;" * 100 + "&#x1F600;" * 30 + "</p>"
    prepared = prepare_html(html)
    assert prepared.replace(ZW, "") == html
    assert not re.search(rf"&[#\w]*{ZW}", prepared)


def test_tags_and_attributes_are_untouched():
    href = "https://example.org/" + "p" * 200
    html = f'<p><a href="{href}" title="{"t" * 100}">{"w" * 100}</a></p>'
    prepared = prepare_html(html)
    assert f'href="{href}"' in prepared
    assert f'title="{"t" * 100}"' in prepared
    assert longest_unbroken(prepared) == WORD_PIECE


def test_style_and_title_text_are_left_alone():
    css = "@page{content:" + '"' + "x" * 200 + '"}'
    html = f"<html><head><title>{'T' * 100}</title><style>{css}</style></head><body><p>{'y' * 100}</p></body></html>"
    prepared = prepare_html(html)
    assert f"<title>{'T' * 100}</title>" in prepared
    assert css in prepared
    assert "y" * (WORD_PIECE + 1) not in prepared


def test_a_flood_of_emphasis_keeps_its_text_and_loses_its_tags():
    html = render_clause("*a* " * 2_500)
    assert html.count("<em>") > MAX_INLINE_ELEMENTS
    prepared = prepare_html(html)
    assert "<em>" not in prepared
    assert re.sub(r"<[^>]*>", "", prepared) == re.sub(r"<[^>]*>", "", html)


def test_a_paragraph_with_some_emphasis_keeps_it():
    html = render_clause(" ".join(["*a*"] * MAX_INLINE_ELEMENTS) + "\n\n" + "*b* " * 3)
    assert prepare_html(html) == html


def test_only_the_flooded_block_is_flattened():
    html = "<p>" + "<em>a</em>" * (MAX_INLINE_ELEMENTS + 1) + "</p><p><strong>kept</strong></p>"
    prepared = prepare_html(html)
    assert prepared == "<p>" + "a" * (MAX_INLINE_ELEMENTS + 1) + "</p><p><strong>kept</strong></p>"


def test_redline_insertions_and_deletions_are_never_flattened():
    html = "<p>" + "<ins>a</ins> <del>b</del> " * (MAX_INLINE_ELEMENTS + 1) + "</p>"
    assert prepare_html(html) == html


def test_a_comment_of_one_long_word_is_broken():
    body = render_comment("*a" * 2_500)
    assert longest_unbroken(prepare_html(body)) == WORD_PIECE


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_preparing_any_escaped_text_only_adds_zero_width_spaces(text):
    html = render_comment(text)
    prepared = prepare_html(html)
    assert prepared.replace(ZW, "") == html.replace(ZW, "")
    assert longest_unbroken(prepared) <= LONG_WORD
