"""A table import from the web, in a real browser: the upload, the progress page (the bar moves as the job
reports, without a page refresh), and the outcome; axe (WCAG 2.2 A/AA) on each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.drafts.parsing import NZ
from tests.support.browser import POLICY_SLUG, VERSION_SLUG, Seed, comment_period_open, unique

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def open_version(browser_app: Flask) -> Iterator[None]:
    with comment_period_open(browser_app):
        yield


def _version_and_staff(session: Session):  # type: ignore[no-untyped-def]
    from app.models import Policy, User, Version

    version = session.scalars(
        select(Version).join(Policy).where(Policy.slug == POLICY_SLUG, Version.slug == VERSION_SLUG)
    ).one()
    staff = session.scalars(select(User).where(User.email == "intake@demo.korero.test")).one()
    return version, staff


def _table(seed: Seed, names: list[str]) -> str:
    """A CSV with a valid answer for each of the version's questions (other tests may have set some)."""

    def build(session: Session) -> str:
        from app.submissions.services import version_questions

        version, _staff = _version_and_staff(session)
        questions = version_questions(session, version)
        answers = [
            "agree" if q.kind == "agree" else ("Kōrero" if q.kind == "text" else q.choices[0])
            for q in questions
        ]
        header = ["name", "consent", "channel", "received_on", "text"] + [
            f"q{n}" for n in range(1, len(questions) + 1)
        ]
        today = dt.datetime.now(dt.UTC).astimezone(NZ).date().isoformat()
        lines = [",".join(header)]
        lines += [
            ",".join([name, "named", "post", today, unique("Transcribed words"), *answers]) for name in names
        ]
        return "\n".join(lines) + "\n"

    return seed(build)


def test_intake_staff_import_a_table_and_read_the_outcome(
    page: Page, sign_in, seed: Seed, open_version: None, axe_check: Callable[..., None], tmp_path: Path
) -> None:
    names = [unique("Tāne Paper"), unique("Aroha Paper")]
    table = tmp_path / "paper.csv"
    table.write_text(_table(seed, names), encoding="utf-8")
    sign_in(page, "intake")
    page.goto(f"/intake/{POLICY_SLUG}/{VERSION_SLUG}/import")
    axe_check(page)
    page.get_by_label("CSV or XLSX file").set_input_files(str(table))
    page.get_by_role("button", name="Import every row").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importing paper.csv")
    expect(page.get_by_role("heading", level=2, name="Imported")).to_be_visible()
    expect(page.locator("main")).to_contain_text("2 submissions saved.")
    for name in names:
        expect(page.locator("main")).to_contain_text(name)
    axe_check(page)


def test_the_progress_page_moves_as_the_job_reports_then_shows_the_outcome(
    page: Page, sign_in, seed: Seed, axe_check: Callable[..., None]
) -> None:
    from app.models import ImportRun

    def start(session: Session) -> int:
        version, staff = _version_and_staff(session)
        run = ImportRun(
            version_id=version.id,
            staff_id=staff.id,
            filename="big.csv",
            dry_run=False,
            status="running",
            rows_total=200,
            rows_checked=20,
        )
        session.add(run)
        session.flush()
        return run.id

    run_id = seed(start)

    def update(**values: object) -> Callable[[Session], None]:
        def apply(session: Session) -> None:
            run = session.get(ImportRun, run_id)
            for name, value in values.items():
                setattr(run, name, value)

        return apply

    sign_in(page, "intake")
    page.goto(f"/intake/imports/{run_id}")
    bar = page.get_by_role("progressbar", name="Rows checked")
    expect(bar).to_have_js_property("value", 10)
    expect(page.get_by_role("status")).to_have_text("20 of 200 rows checked (10%).")
    axe_check(page)
    seed(update(rows_checked=150))
    # The script asks again every second and moves the bar and its words; the page itself is not reloaded.
    expect(bar).to_have_js_property("value", 75)
    expect(page.get_by_role("status")).to_have_text("150 of 200 rows checked (75%).")
    seed(
        update(
            status="done", rows_checked=200, problems=[[7, "consent", "Choose whether we may publish it."]]
        )
    )
    expect(page.get_by_role("heading", level=2)).to_have_text("Problems found: nothing was saved")
    expect(page.get_by_role("table")).to_contain_text("Choose whether we may publish it.")
    axe_check(page)
