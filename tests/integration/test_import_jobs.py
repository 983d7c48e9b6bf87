"""The web table import runs as a job: the request stores the file and sends the staff member to its page,
which shows the progress until the job ends, then the outcome (every bad row by line, or what was stored)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from app.drafts.parsing import NZ
from app.intake import jobs
from app.models import AuditEvent, ImportRun, Submission
from tests.factories import login, make_user, make_version

HEADER = "name,consent,channel,received_on,text\n"


def today() -> str:
    return dt.datetime.now(dt.UTC).astimezone(NZ).date().isoformat()


def rows(n: int, bad_line: int | None = None) -> bytes:
    lines = [
        f"Person {i},{'perhaps' if i + 2 == bad_line else 'named'},post,{today()},Words number {i}"
        for i in range(n)
    ]
    return (HEADER + "\n".join(lines) + "\n").encode()


@pytest.fixture
def version(session):
    return make_version(session)


@pytest.fixture
def intake(session):
    return make_user(session, "intake")


def post(client, version, data: bytes, run: bool):
    return client.post(
        f"/intake/{version.policy.slug}/{version.slug}/import",
        data={"file": (io.BytesIO(data), "paper.csv"), ("run" if run else "check"): "x"},
        content_type="multipart/form-data",
    )


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Submission))


def test_the_import_is_sent_to_its_page_which_shows_the_outcome(client, session, version, intake):
    login(client, intake)
    response = post(client, version, rows(3), run=True)
    assert response.status_code == 303
    run = session.scalars(select(ImportRun)).one()
    assert response.headers["Location"].endswith(f"/intake/imports/{run.id}")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    text = page.data.decode()
    assert "3 submissions saved" in text
    assert "<progress" not in text  # finished: the outcome, not the bar
    session.refresh(run)
    assert (run.status, run.created_count, run.rows_total, run.rows_checked) == ("done", 3, 3, 3)
    assert run.data is None  # the file is not kept once read
    numbers = {s.tracking_number for s in session.scalars(select(Submission))}
    assert {number for _id, number, _name in run.created} == numbers
    for number in numbers:
        assert number in text
    assert (
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "submissions.imported")
        )
        == 1
    )


def test_a_check_saves_nothing_and_offers_the_import(client, session, version, intake):
    login(client, intake)
    page = client.get(post(client, version, rows(2), run=False).headers["Location"])
    assert page.status_code == 200
    assert "Nothing was saved: this was a check." in page.data.decode()
    assert "Import this file now" in page.data.decode()
    assert count(session) == 0


def test_bad_rows_are_listed_by_line_and_nothing_is_stored(client, session, version, intake):
    login(client, intake)
    page = client.get(post(client, version, rows(4, bad_line=3), run=True).headers["Location"])
    assert page.status_code == 422
    assert "<td>3</td><td>consent</td>" in page.data.decode()
    assert count(session) == 0


def test_an_unreadable_file_is_reported_on_the_page(client, session, version, intake):
    login(client, intake)
    page = client.get(post(client, version, b"name,text\nA,b\n", run=True).headers["Location"])
    assert page.status_code == 422
    assert "needs these columns" in page.data.decode()


def test_an_empty_upload_is_refused_at_once(client, session, version, intake):
    login(client, intake)
    response = post(client, version, b"", run=True)
    assert response.status_code == 422
    assert session.scalar(select(func.count()).select_from(ImportRun)) == 0


def queued(session, version, staff, data: bytes, dry_run: bool = False) -> ImportRun:
    run = ImportRun(
        version_id=version.id, staff_id=staff.id, filename="paper.csv", data=data, dry_run=dry_run
    )
    session.add(run)
    session.flush()
    return run


def test_a_running_import_shows_an_accessible_progress_bar_and_its_json(client, session, version, intake):
    run = queued(session, version, intake, rows(10))
    run.status, run.rows_total, run.rows_checked = "running", 400, 100
    session.commit()
    login(client, intake)
    page = client.get(f"/intake/imports/{run.id}").data.decode()
    assert '<progress id="import-progress-bar" max="100" value="25">' in page
    assert '<label for="import-progress-bar">' in page
    assert 'aria-live="polite"' in page
    assert "100 of 400 rows checked (25%)." in page
    assert "Check again now" in page  # without JavaScript: a link to look again
    assert "http-equiv" not in page  # no timed refresh
    assert "js/import-progress.js" in page
    state = client.get(f"/intake/imports/{run.id}/progress")
    assert state.headers["Cache-Control"] == "no-store"
    assert state.json == {
        "status": "running",
        "finished": False,
        "checked": 100,
        "total": 400,
        "percent": 25,
        "text": "100 of 400 rows checked (25%).",
    }


def test_someone_elses_import_is_not_found(client, session, version, intake):
    run = queued(session, version, intake, rows(1))
    other = make_user(session, "intake")
    session.commit()
    login(client, other)
    assert client.get(f"/intake/imports/{run.id}").status_code == 404
    assert client.get(f"/intake/imports/{run.id}/progress").status_code == 404


def test_progress_is_recorded_as_rows_are_checked(session, version, intake, monkeypatch):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 10)
    seen: list[tuple[int, int]] = []
    run = queued(session, version, intake, rows(95))
    real = jobs._progress

    def spy(session_, run_id, commits):
        inner = real(session_, run_id, commits)

        def progress(done, total):
            inner(done, total)
            current = session_.get(ImportRun, run_id)
            seen.append((current.rows_checked, current.rows_total))

        return progress

    monkeypatch.setattr(jobs, "_progress", spy)
    jobs.execute(session, run.id, progress_commits=False)
    assert (10, 95) in seen
    assert (90, 95) in seen
    assert seen[-1] == (95, 95)
    assert run.status == "done"
    assert count(session) == 95


def test_a_job_started_twice_does_the_work_once(session, version, intake):
    run = queued(session, version, intake, rows(2))
    jobs.execute(session, run.id, progress_commits=False)
    jobs.execute(session, run.id, progress_commits=False)
    assert count(session) == 2


def test_the_thread_job_commits_its_outcome(app, session, version, intake):
    run = queued(session, version, intake, rows(3))
    session.commit()
    jobs.RUNNER.run(app, run.id)
    session.expire_all()
    done = session.get(ImportRun, run.id)
    assert (done.status, done.created_count, done.rows_checked) == ("done", 3, 3)


def test_a_failed_job_is_recorded_and_stores_nothing(app, session, version, intake, monkeypatch):
    run = queued(session, version, intake, rows(3))
    session.commit()

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs.services, "store_checked", broken)
    jobs.RUNNER.run(app, run.id)
    session.expire_all()
    failed = session.get(ImportRun, run.id)
    assert failed.status == "failed"
    assert "Nothing was saved" in failed.error
    assert "disk" not in failed.error  # the cause is logged, not shown
    assert count(session) == 0
