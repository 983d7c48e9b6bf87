"""Consultation questions declared in a draft's front matter: read like the workspace's, refused by line."""

from __future__ import annotations

import pytest

from app.drafts.parsing import DraftParseError, parse_draft
from app.submissions.questions import QuestionSpec

HEAD = """---
title: Small Policy
version: One
status: published
"""
BODY = """---
## Purpose {#purpose}

1. The first clause. {#purpose-1}
"""
QUESTIONS = """questions:
  - ask: How clear is the purpose?
    kind: agree5
    required: true
  - prompt: Which matter most?
    kind: multiple
    choices: [Yes, No, 2026-01-01, 1.10, "true"]
    section: purpose
  - ask: Anything else about the first clause?
    clause: purpose-1
"""


def draft(questions: str = QUESTIONS) -> str:
    return HEAD + questions + BODY


def refusal(text: str) -> DraftParseError:
    with pytest.raises(DraftParseError) as caught:
        parse_draft(text, "q.md")
    return caught.value


def test_front_matter_questions_become_specs_in_order():
    document = parse_draft(draft())
    assert document.questions == (
        QuestionSpec("agree", "How clear is the purpose?", (), True),
        QuestionSpec(
            "multiple", "Which matter most?", ("Yes", "No", "2026-01-01", "1.10", "true"), False, "purpose"
        ),
        QuestionSpec("text", "Anything else about the first clause?", clause_key="purpose-1"),
    )


def test_a_draft_without_questions_says_nothing_about_them():
    assert parse_draft(draft("")).questions is None
    assert parse_draft(draft("questions:\n")).questions == ()
    assert parse_draft(draft("questions: []\n")).questions == ()


def test_flow_style_questions_are_read_too():
    document = parse_draft(draft('questions: [{ask: "One?", kind: single, choices: [a, b]}]\n'))
    assert document.questions == (QuestionSpec("single", "One?", ("a", "b")),)


# Line 5 is `questions:`; the first question starts on line 6, its `kind:` is on line 7.
@pytest.mark.parametrize(
    ("questions", "line", "words"),
    [
        ("questions: hello\n", 5, "'questions' must be a list"),
        ("questions:\n  - just text\n", 6, "question 1: a question must be 'key: value' lines"),
        ("questions:\n  - ask: A?\n    kind: multi\n", 7, "unknown kind 'multi'"),
        ("questions:\n  - ask: A?\n    kind: single\n    choices: [one]\n", 8, "at least two choices"),
        ("questions:\n  - ask: A?\n    kind: single\n", 6, "at least two choices"),
        (
            "questions:\n  - ask: A?\n    kind: single\n    choices: [a, a]\n",
            8,
            "each choice must be different",
        ),
        ("questions:\n  - ask: A?\n    choices: [a, b]\n", 7, "only single and multiple"),
        ("questions:\n  - ask: A?\n    required: yes\n", 7, "'required' must be true or false"),
        ("questions:\n  - ask: A?\n    required: 'true'\n", 7, "'required' must be true or false"),
        ("questions:\n  - ask: A?\n    colour: red\n", 7, "unknown key 'colour'"),
        ("questions:\n  - kind: text\n", 6, "every question needs 'ask:'"),
        ("questions:\n  - ask: A?\n  - ask: ''\n", 7, "question 2: 'ask' is empty"),
        ("questions:\n  - ask: A?\n    ask: B?\n", 7, "'ask' is written twice"),
        ("questions:\n  - ask: A?\n    prompt: B?\n", 7, "with 'ask:' or with 'prompt:'"),
        ("questions:\n  - ask: [A]\n", 6, "'ask' must be text"),
        ("questions:\n  - ask: A?\n    section: purpose\n    clause: purpose-1\n", 8, "not both"),
        ("questions:\n  - ask: A?\n    section: Not A Key!\n", 7, "must be a key"),
        ("questions:\n  - ask: A?\n    section: nowhere\n", 7, "no section has the key 'nowhere'"),
        ("questions:\n  - ask: A?\n\n  - ask: B?\n    clause: purpose-9\n", 9, "question 2: no clause"),
        (
            "questions:\n  - ask: A?\n    kind: single\n    choices:\n      - [a]\n      - b\n",
            9,
            "nested too deeply",
        ),
        ("questions:\n  - ask: &a A?\n  - ask: *a\n", 6, "anchors and aliases"),
        ("questions:\n  - ask: !!str A?\n", 6, "YAML tags"),
    ],
)
def test_a_bad_question_stops_the_draft_at_its_line(questions, line, words):
    error = refusal(draft(questions))
    assert error.line == line, error
    assert words in error.message, error.message


def test_too_many_questions_are_refused():
    many = "questions:\n" + "".join(f"  - ask: Q{n}?\n" for n in range(51))
    assert "at most 50 questions" in refusal(draft(many)).message


def test_other_keys_still_refuse_lists():
    error = refusal(HEAD.replace("title: Small Policy", "title: [a, b]") + BODY)
    assert error.line == 2
    assert "not a list or a mapping" in error.message


def test_questions_change_the_content_hash():
    assert parse_draft(draft()).content_hash != parse_draft(draft("")).content_hash


def test_the_workspace_text_takes_the_same_words():
    from app.submissions.questions import QuestionsError, parse_questions

    assert parse_questions("- prompt: One?\n  kind: agree5\n") == [QuestionSpec("agree", "One?")]
    with pytest.raises(QuestionsError) as caught:
        parse_questions("- prompt: One?\n  ask: Two?\n")
    assert caught.value.problem == "alias_twice"
