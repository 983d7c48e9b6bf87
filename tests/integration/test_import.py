"""`flask drafts import` and `flask drafts check`: idempotent, one transaction, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import Clause, Policy, Section, Version

ROOT = Path(__file__).resolve().parents[2]
DPUP = ROOT / "policy_drafts" / "data-protection-and-use-policy"

GOOD = """---
title: Small Policy
version: {label}
status: published
date: 2019-03-01
---
## Purpose {{#purpose}}

1. The first clause. {{#p-1}}
2. The second clause. {{#p-2}}
"""


def counts(session):
    return tuple(
        session.scalar(select(func.count()).select_from(m)) for m in (Policy, Version, Section, Clause)
    )


def write_policy(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    folder = tmp_path / "drafts" / "small-policy"
    folder.mkdir(parents=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return tmp_path / "drafts"


def test_import_loads_every_version_in_order_with_parents(runner, session):
    result = runner.invoke(args=["drafts", "import", str(ROOT / "policy_drafts")])
    assert result.exit_code == 0, result.output
    assert "3 version(s) imported" in result.output
    versions = session.scalars(select(Version).order_by(Version.position)).all()
    assert [v.slug for v in versions] == ["consultation-draft", "revised-draft", "final"]
    assert versions[0].parent_id is None
    assert versions[1].parent_id == versions[0].id
    assert versions[2].parent_id == versions[1].id
    assert versions[2].status == "final"
    assert all(v.comments_open_at is None or v.comments_open_at.tzinfo is not None for v in versions)
    clause = session.scalar(select(Clause).where(Clause.version_id == versions[0].id).limit(1))
    assert clause.html.startswith("<")
    assert clause.text


def test_import_is_idempotent(runner, session):
    runner.invoke(args=["drafts", "import", str(ROOT / "policy_drafts")])
    before = counts(session)
    result = runner.invoke(args=["drafts", "import", str(ROOT / "policy_drafts")])
    assert result.exit_code == 0, result.output
    assert "0 version(s) imported, 3 already up to date" in result.output
    assert counts(session) == before


def test_import_of_one_policy_folder(runner, session, tmp_path):
    root = write_policy(tmp_path, {"01-first.md": GOOD.format(label="First")})
    result = runner.invoke(args=["drafts", "import", str(root / "small-policy")])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(Policy.slug)) == "small-policy"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"01-a.md": "no front matter\n"}, "01-a.md:1: missing front matter"),
        (
            {"01-a.md": GOOD.format(label="A").replace("status: published", "status: approved")},
            "unknown status",
        ),
        ({"01-a.md": GOOD.format(label="A").replace("{#p-2}", "{#p-1}")}, "duplicate clause key"),
        ({"01-a.md": GOOD.format(label="A") + "\n## Empty {#e}\n"}, "section 'Empty' is empty"),
        (
            {"01-a.md": GOOD.format(label="A").replace("## Purpose", "Stray.\n\n## Purpose")},
            "before the first section",
        ),
        ({"01-a.md": GOOD.format(label="Café").encode("latin-1")}, "not UTF-8"),
        ({"01-a.md": GOOD.format(label="A") + "\n" + "x" * (2 * 1024 * 1024)}, "limit"),
        (
            {
                "01-a.md": GOOD.format(label="Same"),
                "02-b.md": GOOD.format(label="Same").replace("first", "1st"),
            },
            "version label 'Same' is also used by 01-a.md",
        ),
        ({"1-a.md": GOOD.format(label="A")}, "file name must look like"),
    ],
)
def test_bad_input_is_one_clear_error_and_writes_nothing(runner, session, tmp_path, files, message):
    # A good file first, so a half-written import would be visible.
    files = {"00-good.md": GOOD.format(label="Good"), **files}
    root = write_policy(tmp_path, files)
    before = counts(session)
    result = runner.invoke(args=["drafts", "import", str(root)])
    assert result.exit_code != 0
    assert message in result.output
    assert "nothing was imported" in result.output
    assert "Traceback" not in result.output
    assert counts(session) == before


def test_a_changed_file_under_an_existing_label_is_refused(runner, session, tmp_path):
    root = write_policy(tmp_path, {"01-a.md": GOOD.format(label="A")})
    assert runner.invoke(args=["drafts", "import", str(root)]).exit_code == 0
    before = counts(session)
    (root / "small-policy" / "01-a.md").write_text(GOOD.format(label="A").replace("second", "2nd"))
    result = runner.invoke(args=["drafts", "import", str(root)])
    assert result.exit_code != 0
    assert "already stored with different content" in result.output
    assert counts(session) == before


def test_check_reports_ok_and_errors_without_touching_the_database(runner, session, tmp_path):
    result = runner.invoke(args=["drafts", "check", str(DPUP / "01-consultation-draft.md")])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert "clauses" in result.output
    bad = tmp_path / "bad.md"
    bad.write_text(GOOD.format(label="A").replace("{#p-2}", "{#p-1}"))
    result = runner.invoke(args=["drafts", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:10: duplicate clause key 'p-1'" in result.output
    assert counts(session) == (0, 0, 0, 0)


def test_check_of_a_missing_file_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["drafts", "check", str(tmp_path / "nope.md")])
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_import_keeps_the_project_drafts_keys_stable(runner, session):
    runner.invoke(args=["drafts", "import", str(ROOT / "policy_drafts")])
    first, final = session.scalars(
        select(Version).where(Version.slug.in_(["consultation-draft", "final"])).order_by(Version.position)
    ).all()
    first_keys = set(session.scalars(select(Clause.key).where(Clause.version_id == first.id)))
    final_keys = set(session.scalars(select(Clause.key).where(Clause.version_id == final.id)))
    assert len(first_keys & final_keys) >= 0.85 * len(first_keys)


def test_setup_migrates_imports_and_prints_the_demo_accounts(runner, session, monkeypatch):
    from app.models import User

    # The test database is already at head (built by `upgrade` in conftest); here, check setup asks for it.
    upgrades: list[bool] = []
    monkeypatch.setattr("flask_migrate.upgrade", lambda: upgrades.append(True))
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert upgrades == [True]
    assert "Drafts: 3 imported" in result.output
    for role in ("commenter", "drafter", "reviewer", "moderator", "admin", "intake"):
        assert f"{role}@demo.korero.test" in result.output
    # one account per role (six), and the five made-up people who comment on the demo consultation
    assert session.scalar(select(func.count()).select_from(User)) == 11
    assert "Demo consultation (created), open for comment now" in result.output
    again = runner.invoke(args=["setup"])
    assert "Drafts: 0 imported, 3 already there." in again.output
    assert "Demo consultation (already there)" in again.output
    assert session.scalar(select(func.count()).select_from(User)) == 11


def test_setup_never_creates_demo_accounts_in_production(app, runner, session, monkeypatch):
    from app.models import User

    monkeypatch.setattr("flask_migrate.upgrade", lambda: None)
    monkeypatch.setitem(app.config, "ENV", "production")
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert "demo.korero.test" not in result.output
    assert "Demo consultation" not in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0
    assert session.scalar(select(func.count()).select_from(Policy).where(Policy.is_demo)) == 0
