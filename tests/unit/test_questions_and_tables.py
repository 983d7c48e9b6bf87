"""The pure parts of submissions: reading drafters' questions, tallying answers, reading import tables."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.submissions.importing import TableError, read_table
from app.submissions.questions import (
    AGREE_SCALE,
    QuestionsError,
    QuestionSpec,
    dump_questions,
    parse_questions,
    tally,
)


def test_questions_read_every_kind_and_round_trip():
    source = """
- ask: How clear is it?
  kind: agree
  required: true
  clause: purpose-1
- ask: Which?
  kind: multiple
  choices: [A, B, C]
- ask: One?
  kind: single
  choices: [Yes, No]
  section: purpose
- ask: Anything else?
"""
    specs = parse_questions(source)
    assert [s.kind for s in specs] == ["agree", "multiple", "single", "text"]
    assert specs[0].required
    assert specs[0].clause_key == "purpose-1"
    assert specs[0].options() == AGREE_SCALE
    assert specs[2].section_key == "purpose"
    assert parse_questions(dump_questions(specs)) == specs


@pytest.mark.parametrize(
    ("source", "problem", "item"),
    [
        ("- ask: [x", "yaml", 0),
        ("ask: Why?", "not_list", 0),
        ("- Why?", "not_mapping", 1),
        ("- ask: Why?\n  colour: red", "unknown_key", 1),
        ("- ask: Why?\n  kind: essay", "bad_kind", 1),
        ("- ask: Which?\n  kind: single\n  choices: [only]", "few_choices", 1),
        ("- ask: Which?\n  kind: single\n  choices: [a, a]", "duplicate_choice", 1),
        ("- ask: Why?\n  kind: agree\n  choices: [a, b]", "choices_not_allowed", 1),
        ("- ask: Why?\n  required: maybe", "bad_required", 1),
        ("- ask: Why?\n  section: a\n  clause: b", "section_and_clause", 1),
        ("- ask: ''", "empty", 1),
        ('- ask: Why?\n- ask: "Why\\a"', "control", 2),  # YAML's own escape for BEL
        ("- ask: Why?\n  clause: '../etc'", "bad_key", 1),
        ("- ask: " + "x" * 600, "too_long", 1),
        ("- ask: x\n" * 51, "too_many", 0),
    ],
)
def test_bad_questions_say_which_and_why(source, problem, item):
    with pytest.raises(QuestionsError) as refused:
        parse_questions(source)
    assert refused.value.problem == problem
    assert refused.value.item == item


def test_empty_text_is_no_questions():
    assert parse_questions("") == []
    assert parse_questions("   \n") == []


def test_tally_counts_people_and_shares():
    result = tally(("a", "b", "c"), [["a"], ["a", "b"], [], ["zzz"], ["b"]])
    assert result.answered == 3
    assert [(c.option, c.count, c.percent) for c in result.counts] == [
        ("a", 2, 66.7),
        ("b", 2, 66.7),
        ("c", 0, 0.0),
    ]


@given(st.lists(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3), max_size=30))
def test_tally_never_counts_more_than_answered(answers):
    result = tally(("a", "b", "c"), answers)
    assert all(0 <= c.count <= result.answered for c in result.counts)
    assert all(0 <= c.percent <= 100 for c in result.counts)


def test_spec_options_for_choices():
    assert QuestionSpec("single", "x", ("a", "b")).options() == ("a", "b")


HEADER = "name,consent,channel,received_on,text\n"


def test_csv_rows_keep_their_line_numbers_and_skip_blank_lines():
    table = read_table(
        "a.csv",
        (HEADER + 'Ana,named,post,2026-01-01,Hi\n,,,,\nBen,named,hui,2026-01-02,"Two\nlines"\n').encode(),
    )
    assert [r.line for r in table.rows] == [2, 4]
    assert table.rows[1].cells["text"] == "Two\nlines"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty"),
        (HEADER.encode(), "no_rows"),
        (b"name,text\nA,B\n", "missing_columns"),
        (b"name,name,consent,channel,received_on,text\n", "duplicate_column"),
        (b"\xff\xfe\x00x", "not_a_table"),
        (b"caf\xe9,named\n", "not_utf8"),
        ((HEADER + "A,named,post,2026-01-01,x,extra\n").encode(), "extra_cells"),
        (b"PK\x03\x04not really a workbook", "not_a_table"),
    ],
)
def test_bad_tables_are_refused_with_a_reason(data, problem):
    with pytest.raises(TableError) as refused:
        read_table("x", data)
    assert refused.value.problem == problem


def test_xlsx_is_read_by_content_whatever_its_name():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Name", "Consent", "Channel", "Received on", "Text"])
    workbook.active.append(["Ana", "named", "post", "2026-01-01", 12.0])
    out = io.BytesIO()
    workbook.save(out)
    table = read_table("paper.csv", out.getvalue())
    assert table.header == ["name", "consent", "channel", "received_on", "text"]
    assert table.rows[0].cells["text"] == "12"
