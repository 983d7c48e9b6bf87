"""Front matter: the error type, hostile YAML (aliases, tags, nesting, size), dates out of range, wrong types."""

from __future__ import annotations

import pytest

from app.drafts.parsing import DraftParseError, parse_draft
from app.exceptions import DomainError, InputError

BODY = "## S\n\nText.\n"


def draft(front: str) -> str:
    return f"---\ntitle: T\nversion: V\nstatus: published\n{front}---\n{BODY}"


def refused(front: str) -> DraftParseError:
    with pytest.raises(DraftParseError) as raised:
        parse_draft(draft(front), "bad.md")
    return raised.value


# --- the error type ----------------------------------------------------------------------------------


def test_draft_parse_error_is_an_input_error_with_its_place():
    error = DraftParseError("bad thing", "x.md", 7)
    assert isinstance(error, InputError)
    assert isinstance(error, DomainError)
    assert isinstance(error, ValueError)  # callers written before DomainError still catch it
    assert error.status == 422
    assert (error.message, error.source, error.line) == ("bad thing", "x.md", 7)
    assert str(error) == "x.md:7: bad thing"
    assert str(DraftParseError("no line", "y.md")) == "y.md: no line"
    assert str(DraftParseError("default")) == "<string>: default"
    assert error.problem()["status"] == 422
    assert error.problem()["line"] == 7


# --- hostile YAML ------------------------------------------------------------------------------------


def billion_laughs(levels: int) -> str:
    """A `summary` that expands to 9**levels copies of "lol" through nested aliases, all on one line."""
    parts = ['&l0 "lol"']
    parts += [f"&l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels + 1)]
    return f"summary: &bomb [{', '.join(parts)}, *l{levels}]\n"


def test_an_alias_bomb_is_refused_at_its_first_anchor():
    # Small enough to expand in a blink if it were accepted; the real one (9 levels, 544 bytes) is the same shape.
    error = refused(billion_laughs(4))
    assert "anchors and aliases" in error.message
    assert error.line == 5


@pytest.mark.parametrize(
    ("front", "line"),
    [
        ("summary: &s Some words\n", 5),
        ("summary: Some words\nchange_note: *s\n", 6),
        ("summary: &s Some words\nchange_note: *s\n", 5),
        ("<<: {summary: merged}\n", 5),
    ],
)
def test_anchors_aliases_and_merges_are_refused(front, line):
    error = refused(front)
    assert error.line == line
    assert error.source == "bad.md"


@pytest.mark.parametrize(
    "front",
    [
        "summary: !!binary aGVsbG8=\n",
        "summary: !!set {a, b}\n",
        "summary: !!python/object:os.system ls\n",
        "summary: !custom words\n",
        "summary: !!str words\n",
    ],
)
def test_yaml_tags_are_refused(front):
    assert refused(front).line == 5


def test_front_matter_over_the_size_limit_is_refused_at_the_line_that_crosses_it():
    front = "".join(f"# comment line {n} {'x' * 200}\n" for n in range(100))
    error = refused(front)
    assert "front matter" in error.message
    assert "16,384" in error.message
    assert 5 < error.line < 105


@pytest.mark.parametrize(
    ("key", "limit"), [("title", 300), ("version", 200), ("summary", 4000), ("change_note", 4000)]
)
def test_each_value_has_a_length_limit(key, limit):
    text = draft("").replace(f"{key}: ", f"{key}-old: ") if key in ("title", "version") else draft("")
    text = text.replace("---\n## S", f"{key}: {'w' * (limit + 1)}\n---\n## S")
    with pytest.raises(DraftParseError) as raised:
        parse_draft(text.replace(f"{key}-old: ", "# "), "bad.md")
    assert f"'{key}'" in raised.value.message
    assert f"{limit:,}" in raised.value.message
    ok = text.replace(f"{key}-old: ", "# ").replace("w" * (limit + 1), "w" * limit)
    assert getattr(parse_draft(ok), key if key != "title" else "title") == "w" * limit


def test_five_thousand_digits_are_refused_as_too_long_not_as_a_bad_integer():
    error = refused(f"summary: {'7' * 5000}\n")
    assert error.line == 5
    assert "the limit is 4,000" in error.message


def test_deep_nesting_is_refused_without_recursing():
    error = refused("summary: " + "[" * 5000 + "]" * 5000 + "\n")
    assert error.line == 5


# --- wrong types and duplicate keys ------------------------------------------------------------------


@pytest.mark.parametrize(
    "front",
    [
        "summary: [a, b]\n",
        "change_note: {a: 1}\n",
        "summary:\n  - a\n  - b\n",
        "moderation: [pre]\n",
        "date: [2020-01-01]\n",
    ],
)
def test_a_list_or_mapping_where_text_or_a_date_belongs_is_refused(front):
    error = refused(front)
    assert error.line == 5
    assert "text or a date" in error.message


def test_a_duplicate_key_is_refused_on_its_second_line():
    error = refused("summary: one\nstatus: final\n")
    assert error.line == 6
    assert "'status'" in error.message
    assert "line 4" in error.message


def test_a_complex_key_is_refused():
    assert refused("? [a, b]\n: c\n").line == 5


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1.10", "1.10"),
        ("010", "010"),
        ("0x1F", "0x1F"),
        ("1e400", "1e400"),
        ("yes", "yes"),
        ("1_000", "1_000"),
        ("190:20:30", "190:20:30"),
        ("2019-07-30", "2019-07-30"),
        ('"quoted: text"', "quoted: text"),
        ("7" * 3000, "7" * 3000),
    ],
)
def test_text_values_are_read_as_written(written, read):
    text = draft(f"summary: {written}\nchange_note: {written}\n")
    document = parse_draft(text.replace("version: V", f"version: {written}") if len(written) < 200 else text)
    assert document.summary == read
    assert document.change_note == read
    if len(written) < 200:
        assert document.version == read


@pytest.mark.parametrize("written", ["", " ~", " null"])
def test_an_empty_optional_value_is_empty(written):
    assert parse_draft(draft(f"summary:{written}\n")).summary == ""


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("front", "line"),
    [
        ("comments_open: 0001-01-01\ncomments_close: 2025-01-01\n", 5),
        ("comments_open: 2025-01-01\ncomments_close: 9999-12-31T23:59-12:00\n", 6),
        ("comments_open: 2025-01-01\ncomments_close: 9999-12-31\n", 6),
        ("comments_open: 0001-01-01T00:00:00+14:00\ncomments_close: 2025-01-01\n", 5),
        ("comments_open: 1899-12-31\ncomments_close: 2025-01-01\n", 5),
        ("comments_open: 2025-01-01\ncomments_close: 2201-01-01\n", 6),
        ("date: 0001-01-01\n", 5),
        ("date: 9999-12-31\n", 5),
    ],
)
def test_dates_out_of_range_are_refused(front, line):
    error = refused(front)
    assert error.line == line
    assert "between 1900 and 2200" in error.message


@pytest.mark.parametrize(
    ("front", "line"),
    [
        ("date: 2025-13-45\n", 5),
        ("date: 2025-02-30\n", 5),
        ("comments_open: 2025-02-30T10:00:00+13:00\ncomments_close: 2025-03-01\n", 5),
        ("comments_open: 2025-02-01\ncomments_close: 2025-02-31 10:00:00 +13:00\n", 6),
        ("comments_open: 2025-01-01\ncomments_close: 2025-01-02T25:00+13:00\n", 6),
        ("comments_open: 2025-01-01\ncomments_close: 2025-01-02T10:00+25:00\n", 6),
    ],
)
def test_impossible_dates_are_refused(front, line):
    error = refused(front)
    assert error.line == line
    assert "date" in error.message


def test_dates_at_the_ends_of_the_range_are_read():
    document = parse_draft(
        draft("date: 1900-01-01\ncomments_open: 1900-01-01T00:00+14:00\ncomments_close: 2200-12-31\n")
    )
    assert str(document.date) == "1900-01-01"
    assert document.comments_open.year == 1899  # 1900-01-01 00:00 at +14:00 is still 1899 in UTC
    assert document.comments_close.year == 2200


def test_yaml_and_iso_date_times_are_both_read():
    document = parse_draft(
        draft("comments_open: 2025-01-01 09:00:00 +13:00\ncomments_close: 2025-02-01T09:00+13:00\n")
    )
    assert document.comments_open.isoformat() == "2024-12-31T20:00:00+00:00"
    assert document.comments_close.isoformat() == "2025-01-31T20:00:00+00:00"


def test_the_reader_refuses_a_nul_with_a_draft_error_even_before_the_character_check():
    from app.drafts.parsing import _read_front_matter

    with pytest.raises(DraftParseError):
        _read_front_matter("change_note: \x00", "bad.md")


def test_the_reader_refuses_a_lone_surrogate_with_a_draft_error():
    from app.drafts.parsing import _read_front_matter

    with pytest.raises(DraftParseError):
        _read_front_matter("change_note: \ud800", "bad.md")
