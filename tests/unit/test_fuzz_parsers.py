"""Properties of the pure parsers over hostile text: each returns, or raises its own domain error, never another.

The suite runs a small share (about 150 examples each); scripts/fuzz_parsers.py runs the same properties
for longer. Generated text mixes NUL and other controls, lone surrogates, bidirectional overrides,
superscript digits, huge and empty values, duplicate keys, deep nesting and long bracket runs.
"""

from __future__ import annotations

import datetime as dt
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.diffing.anchoring import Anchor, locate_quote
from app.drafts.parsing import FRONT_MATTER_KEYS, Document, DraftParseError, _read_front_matter, parse_draft
from app.drafts.rendering import render_clause, render_comment
from app.exceptions import InputError

# scripts/fuzz_parsers.py sets KORERO_FUZZ_EXAMPLES for its longer run (and turns the example database off).
SUITE = settings(
    max_examples=int(os.environ.get("KORERO_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    **({"database": None} if "KORERO_FUZZ_EXAMPLES" in os.environ else {}),
)

NASTY = [
    "\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800", "\udfff", "\ud83d", "\u202e", "\u202d", "\u2066",
    "\u200f", "\u2028", "\u2029", "\ufeff", "\ufffd", "\r", "\r\n", "\t", "\n", "\n\n", " ", "¹", "²", "³",
    "⁴", "٣", "ā", "ō", "字", "😀", "[", "]", "![", "(", ")", "*", "_", "`", "```", "~~", "<", ">", "&",
    "&amp;", "#", "## ", "{#", "}", "{#key}", "!", ":", ": ", "-", "- ", "1. ", "|", "\\", "---", "&a",
    "*a", "!!binary", "? ", "<<", "'", '"', "0x1F", "1e400", "9999-12-31", "0001-01-01",
]  # fmt: skip
nasty = st.sampled_from(NASTY)
runs = st.builds(
    lambda char, n: char * n, st.sampled_from(["[", "]", "*", "_", "`", "(", "a", "9"]), st.integers(1, 3000)
)
hostile_text = st.lists(st.one_of(nasty, nasty, st.text(max_size=6), runs), max_size=40).map("".join)

dates = st.one_of(
    st.dates().map(dt.date.isoformat),
    st.datetimes(timezones=st.timezones()).map(dt.datetime.isoformat),
    st.datetimes().map(lambda moment: moment.isoformat(sep=" ")),
    st.sampled_from(["0001-01-01", "9999-12-31T23:59-12:00", "2025-02-30", "2025-13-01", "2025-01-01T25:00+13:00"]),
)  # fmt: skip
values = st.one_of(
    hostile_text,
    dates,
    st.integers(0, 6000).map(lambda n: "7" * n),
    st.integers(0, 5000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 30).map(lambda n: "&a" + " [*a" * n + "]" * n),
    st.sampled_from(
        ["", "~", "null", "yes", "1.10", "[a, b]", "{a: 1}", "*a", "&a text", "!!set {a}", "|\n  block"]
    ),
    st.integers(0, 20_000).map(lambda n: "x" * n),
)
keys = st.one_of(
    st.sampled_from(sorted(FRONT_MATTER_KEYS)), st.sampled_from(["x", "<<", "? [a]", "", "Title"])
)
front_matter = st.lists(st.tuples(keys, values), max_size=12).map(
    lambda pairs: "\n".join(f"{key}: {value}" for key, value in pairs)
)
REQUIRED = "title: T\nversion: V\nstatus: published\n"
body = st.lists(st.one_of(st.just("## Section\n\n"), st.just("\n"), hostile_text), max_size=8).map("".join)


def parses_or_refuses(text: str) -> None:
    try:
        document = parse_draft(text, "fuzz.md")
    except DraftParseError as error:
        refusal: DraftParseError = error
    else:
        refusal = None
    if refusal is not None:
        assert isinstance(refusal, InputError)
        assert refusal.source == "fuzz.md"
        assert refusal.line is None or refusal.line >= 1
        return
    assert isinstance(document, Document)
    assert document.sections
    assert all(section.clauses for section in document.sections)


@SUITE
@given(front_matter, body)
def test_drafts_with_front_matter_parse_or_raise_a_draft_error(meta, text):
    parses_or_refuses(f"---\n{meta}\n---\n{text}")


@SUITE
@given(front_matter, body)
def test_drafts_with_the_required_keys_and_more_parse_or_raise_a_draft_error(meta, text):
    parses_or_refuses(f"---\n{REQUIRED}{meta}\n---\n## S\n\n{text}\n")


@SUITE
@given(hostile_text)
def test_drafts_without_front_matter_raise_a_draft_error(text):
    parses_or_refuses(text)


@SUITE
@given(front_matter)
def test_the_front_matter_reader_returns_fields_or_raises_a_draft_error(meta):
    try:
        fields = _read_front_matter(meta, "fuzz.md")
    except DraftParseError:
        return
    assert all(isinstance(fields[key], str) for key in ("title", "version", "status", "summary"))
    for key in ("comments_open", "comments_close"):
        moment = fields[key]
        assert moment is None or (moment.tzinfo is not None and 1899 <= moment.year <= 2201)


def renders(render, text: str) -> None:
    try:
        html = render(text)
    except InputError:
        return
    assert isinstance(html, str)
    assert "<script" not in html.lower()


@SUITE
@given(hostile_text)
def test_the_comment_renderer_renders_or_raises_an_input_error(text):
    renders(render_comment, text)


@SUITE
@given(hostile_text)
def test_the_clause_renderer_renders_or_raises_an_input_error(text):
    renders(render_clause, text)


@SUITE
@given(
    hostile_text,
    hostile_text,
    st.text(max_size=40),
    st.text(max_size=40),
    st.none() | st.integers(-10, 10_000),
)
def test_locate_quote_finds_the_quote_or_nothing(text, exact, prefix, suffix, hint):
    try:
        found = locate_quote(text, exact, prefix, suffix, hint)
    except InputError:
        return
    assert found is None or (isinstance(found, Anchor) and text[found.start : found.end] == found.exact)
