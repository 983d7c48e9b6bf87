"""The draft parser: golden files, every bad input named in the format, and properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.drafts.parsing import (
    MAX_DRAFT_BYTES,
    DraftParseError,
    decode_draft,
    parse_draft,
    plain_text,
    slugify,
)

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
DRAFTS = ROOT / "policy_drafts" / "data-protection-and-use-policy"

HEAD = "---\ntitle: T\nversion: V\nstatus: published\n---\n"


def as_json(document):
    return {
        "title": document.title,
        "version": document.version,
        "status": document.status,
        "date": str(document.date),
        "moderation": document.moderation,
        "comments_open": document.comments_open.isoformat(),
        "comments_close": document.comments_close.isoformat(),
        "sections": [
            {
                "key": s.key,
                "heading": s.heading,
                "number": s.number,
                "clauses": [
                    {"key": c.key, "number": c.number, "markdown": c.markdown, "text": c.text}
                    for c in s.clauses
                ],
            }
            for s in document.sections
        ],
    }


def test_golden_file_parses_to_the_recorded_document():
    document = parse_draft((HERE / "golden" / "small.md").read_text(), "small.md")
    assert as_json(document) == json.loads((HERE / "golden" / "small.json").read_text())


def test_line_numbers_point_at_the_source():
    text = (HERE / "golden" / "small.md").read_text()
    lines = text.split("\n")
    document = parse_draft(text)
    for section in document.sections:
        assert lines[section.line - 1].startswith("## ")
        for clause in section.clauses:
            first_words = clause.markdown.split("\n")[0][:12]
            assert first_words in lines[clause.line - 1]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("## S\n\nText\n", 1, "missing front matter"),
        ("---\ntitle: T\n## S\n\nText\n", 1, "not closed"),
        ("---\ntitle: [unclosed\n---\n## S\n\nText\n", 2, "malformed front matter"),
        ("---\n- a list\n---\n## S\n\nText\n", 2, "mapping"),
        ("---\ntitle: T\nstatus: published\n---\n## S\n\nText\n", None, "needs 'version'"),
        ("---\ntitle: T\nversion: V\nstatus: draft\n---\n## S\n\nText\n", 4, "unknown status 'draft'"),
        (
            "---\ntitle: T\nversion: V\nstatus: final\nauthor: me\n---\n## S\n\nText\n",
            5,
            "unknown front-matter key",
        ),
        ("---\ntitle: T\nversion: V\nstatus: final\ndate: soon\n---\n## S\n\nText\n", 5, "not a date"),
        (
            HEAD + "## S\n\nText\n\n## S2 {#s}\n\nMore {#s-1}\n\n## S3 {#s}\n\nX\n",
            14,
            "duplicate section key 's'",
        ),
        (HEAD + "## S\n\n1. One {#k}\n2. Two {#k}\n", 9, "duplicate clause key 'k' (first used on line 8)"),
        (HEAD + "## Empty\n\n## Next\n\nText\n", 6, "section 'Empty' is empty"),
        (HEAD + "Before any section.\n\n## S\n\nText\n", 6, "text before the first section"),
        (HEAD + "## S\n\n### Sub\n\nText\n", 8, "headings are not allowed"),
        (HEAD + "## S\n\nText {#Bad_Key}\n", 8, "bad key"),
        (HEAD + "\n", 6, "no sections"),
        (HEAD + "## S\n\nA bell \x07 rings\n", 8, "control character"),
    ],
)
def test_bad_drafts_name_the_line(text, line, message):
    with pytest.raises(DraftParseError) as raised:
        parse_draft(text, "bad.md")
    error = raised.value
    assert message in error.message
    assert error.source == "bad.md"
    if line is not None:
        assert error.line == line
        assert str(error).startswith(f"bad.md:{line}: ")


def test_comment_period_must_have_both_ends_and_close_after_opening():
    with pytest.raises(DraftParseError, match="both comments_open and comments_close"):
        parse_draft(
            "---\ntitle: T\nversion: V\nstatus: published\ncomments_open: 2019-01-01\n---\n## S\n\nX\n"
        )
    with pytest.raises(DraftParseError, match="closes before it opens"):
        parse_draft(
            "---\ntitle: T\nversion: V\nstatus: published\n"
            "comments_open: 2019-02-01\ncomments_close: 2019-01-01\n---\n## S\n\nX\n"
        )


def test_non_utf8_bytes_are_refused_with_their_line():
    data = (HEAD + "## S\n\nCaf\xe9\n").encode("latin-1")
    with pytest.raises(DraftParseError, match="not UTF-8") as raised:
        decode_draft(data, "latin.md")
    assert raised.value.line == 8


def test_oversize_files_are_refused_before_parsing():
    data = (HEAD + "## S\n\n" + "word " * (MAX_DRAFT_BYTES // 5 + 10)).encode()
    with pytest.raises(DraftParseError, match="limit"):
        decode_draft(data, "big.md")
    with pytest.raises(DraftParseError, match="limit"):
        parse_draft(data.decode(), "big.md")


def test_byte_order_mark_and_crlf_are_accepted():
    text = "\ufeff" + (HEAD + "## S {#s}\n\nText {#t}\n").replace("\n", "\r\n")
    document = parse_draft(text)
    assert [c.key for c in document.clauses] == ["t"]
    assert document.content_hash == parse_draft(HEAD + "## S {#s}\n\nText {#t}\n").content_hash


def test_raw_html_stays_text_in_the_plain_text():
    document = parse_draft(HEAD + "## S\n\nHello <script>alert(1)</script> there\n")
    assert document.clauses[0].text == "Hello <script>alert(1)</script> there"


def test_unkeyed_clauses_inherit_keys_from_the_previous_version_by_similarity():
    old = parse_draft(
        HEAD + "## S {#s}\n\n1. Agencies explain why they collect information.\n2. People can ask.\n"
    )
    new = parse_draft(
        HEAD + "## S {#s}\n\n1. A brand new first clause about something else entirely.\n"
        "2. Agencies explain clearly why they collect information.\n3. People can ask.\n",
        previous=old,
    )
    keys = {c.text: c.key for c in new.clauses}
    assert keys["Agencies explain clearly why they collect information."] == "s-1"
    assert keys["People can ask."] == "s-2"
    assert keys["A brand new first clause about something else entirely."] not in {"s-1", "s-2"}


def test_unkeyed_sections_keep_their_key_when_renamed_if_clauses_match():
    old = parse_draft(HEAD + "## Applying the policy\n\nOne {#a-1}\n\nTwo {#a-2}\n")
    new = parse_draft(HEAD + "## Putting it into practice\n\nOne {#a-1}\n\nTwo {#a-2}\n", previous=old)
    assert new.sections[0].key == "applying-the-policy"


def test_slugify_handles_macrons_and_symbols():
    assert slugify("He Tāngata — focus on people") == "he-tangata-focus-on-people"
    assert slugify("!!!") == "section"


def test_the_project_drafts_parse_with_the_promised_size():
    files = sorted(DRAFTS.glob("[0-9][0-9]-*.md"))
    assert len(files) >= 3
    previous = None
    for path in files:
        document = parse_draft(path.read_text(), str(path), previous=previous)
        assert len(document.clauses) >= 100, path.name
        assert 5000 <= document.word_count() <= 10000, path.name
        headings = " ".join(s.heading for s in document.sections)
        for name in ("He Tāngata", "Manaakitanga", "Mana Whakahaere", "Kaitiakitanga", "Mahitahitanga"):
            assert name in headings
        for name in ("Purpose Matters", "Transparency and Choice", "Sharing Value", "Access to Information"):
            assert name in headings
        previous = document
    assert previous is not None
    assert previous.status == "final"


words = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1, max_size=10)
clause_text = st.lists(words, min_size=1, max_size=12).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(clause_text, min_size=1, max_size=5), min_size=1, max_size=5))
def test_generated_drafts_round_trip_their_structure(sections):
    body = ""
    for s_index, clauses in enumerate(sections, start=1):
        body += f"## Section {s_index}\n\n"
        for c_index, text in enumerate(clauses, start=1):
            body += f"{c_index}. {text}\n"
        body += "\n"
    document = parse_draft(HEAD + body)
    assert [len(s.clauses) for s in document.sections] == [len(c) for c in sections]
    assert [c.text for c in document.clauses] == [t for clauses in sections for t in clauses]
    assert len({c.key for c in document.clauses}) == len(document.clauses)
    assert parse_draft(HEAD + body, previous=document) == document


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_any_text_parses_or_raises_a_draft_error(text):
    # Anything but a DraftParseError (an IndexError, say) fails the test.
    try:
        document = parse_draft(HEAD + text)
    except DraftParseError:
        return
    assert all(section.clauses for section in document.sections)


@given(st.lists(words, min_size=1, max_size=8))
def test_plain_text_drops_emphasis_but_keeps_every_word(parts):
    markdown = " ".join(f"*{w}*" if i % 2 else f"**{w}**" for i, w in enumerate(parts))
    assert plain_text(markdown) == " ".join(parts)
