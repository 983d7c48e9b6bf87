"""Questions declared in a draft's front matter become the version's Question rows, as the workspace makes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.drafting import services as drafting
from app.drafts.parsing import DraftParseError
from app.drafts.services import get_policy, import_drafts
from app.models import Policy, Question, Role, Version
from app.submissions.services import set_questions, version_questions
from tests.factories import make_user

DRAFT = """---
title: Small Policy
version: {label}
status: published
date: 2019-03-01
{questions}---
## Purpose {{#purpose}}

1. The first clause. {{#p-1}}
"""
QUESTIONS = """questions:
  - ask: Is the purpose clear?
    kind: agree5
    required: true
  - ask: Which words should change?
    kind: single
    choices: [Yes, No]
    clause: p-1
"""


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "drafts" / "small-policy"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return tmp_path / "drafts"


def rows(session, version: Version) -> list[tuple]:
    return [
        (q.position, q.kind, q.prompt, q.choices, q.required, q.section_key, q.clause_key)
        for q in version_questions(session, version)
    ]


def test_import_stores_the_front_matter_questions(session, tmp_path):
    import_drafts(session, write(tmp_path, {"01-one.md": DRAFT.format(label="One", questions=QUESTIONS)}))
    version = session.scalar(select(Version).where(Version.slug == "one"))
    assert rows(session, version) == [
        (1, "agree", "Is the purpose clear?", [], True, None, None),
        (2, "single", "Which words should change?", ["Yes", "No"], False, None, "p-1"),
    ]


def test_the_demo_consultation_declares_its_questions(session):
    from app.consultations.demo import ensure_demo_consultation

    report = ensure_demo_consultation(session)
    version = report.policy.versions[0]
    questions = version_questions(session, version)
    assert [q.kind for q in questions] == ["agree", "multiple", "text"]
    assert questions[0].section_key == "keep"
    assert not any(q.required for q in questions)  # the demo's sample submissions answer none of them


def test_a_bad_question_loads_nothing_at_all(session, tmp_path):
    bad = QUESTIONS.replace("clause: p-1", "clause: p-9")
    root = write(
        tmp_path,
        {
            "01-one.md": DRAFT.format(label="One", questions=QUESTIONS),
            "02-two.md": DRAFT.format(label="Two", questions=bad),
        },
    )
    before = session.scalar(select(func.count()).select_from(Question))
    with pytest.raises(DraftParseError) as caught, session.begin_nested():
        import_drafts(session, root)
    assert caught.value.line == 13
    assert "question 2: no clause has the key 'p-9'" in caught.value.message
    assert session.scalar(select(func.count()).select_from(Question)) == before
    assert session.scalar(select(Policy).where(Policy.slug == "small-policy")) is None


def test_cli_import_names_the_file_and_line(runner, tmp_path):
    bad = QUESTIONS.replace("kind: agree5", "kind: scale")
    root = write(tmp_path, {"01-one.md": DRAFT.format(label="One", questions=bad)})
    result = runner.invoke(args=["drafts", "import", str(root)])
    assert result.exit_code != 0
    assert "01-one.md:8" in result.output
    assert "unknown kind 'scale'" in result.output


def test_the_workspace_and_the_front_matter_make_the_same_rows(session, tmp_path):
    import_drafts(session, write(tmp_path, {"01-one.md": DRAFT.format(label="One", questions=QUESTIONS)}))
    version = session.scalar(select(Version).where(Version.slug == "one"))
    from_file = rows(session, version)
    drafter = make_user(session, Role.DRAFTER.value)
    set_questions(session, drafter, version, "")
    assert rows(session, version) == []
    set_questions(session, drafter, version, "\n".join(QUESTIONS.splitlines()[1:]))
    assert rows(session, version) == from_file


@pytest.fixture
def working(session, tmp_path):
    import_drafts(session, write(tmp_path, {"01-one.md": DRAFT.format(label="One", questions=QUESTIONS)}))
    drafter = make_user(session, Role.DRAFTER.value)
    session.expire_all()
    version = drafting.start_working_version(session, get_policy(session, "small-policy"), "Two", drafter)
    return version, drafter


def test_a_working_version_starts_with_its_parents_front_matter_questions(session, working):
    version, _drafter = working
    assert [q.prompt for q in version_questions(session, version)] == [
        "Is the purpose clear?",
        "Which words should change?",
    ]


def test_uploading_a_source_with_questions_replaces_them(session, working):
    version, drafter = working
    text = DRAFT.format(label="Two", questions="questions:\n  - ask: Only this one?\n")
    drafting.upload_source(session, version, text.encode(), version.revision, drafter)
    assert [q.prompt for q in version_questions(session, version)] == ["Only this one?"]


def test_uploading_a_source_without_questions_keeps_the_workspaces(session, working):
    version, drafter = working
    set_questions(session, drafter, version, "- ask: Set in the workspace?\n")
    drafting.upload_source(
        session, version, DRAFT.format(label="Two", questions="").encode(), version.revision, drafter
    )
    assert [q.prompt for q in version_questions(session, version)] == ["Set in the workspace?"]


def test_publishing_keeps_the_questions_as_written(session, working):
    version, drafter = working
    drafting.publish_version(session, version, drafter)
    assert "choices: [Yes, No]" in version.source_markdown
    assert "status: published" in version.source_markdown
    assert [q.choices for q in version_questions(session, version)][1] == ["Yes", "No"]
