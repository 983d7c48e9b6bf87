"""A run whose worker was lost (a thread-mode process restarted) does not stay "running" for ever.

The jobs beat a heartbeat as they go; a queued or running import or themes run with no beat for JOBS_STALE_AFTER
seconds is marked failed when its page is read, before a new themes run, and by `flask jobs sweep`.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.analysis import jobs as theme_jobs
from app.intake import jobs as import_jobs
from app.models import ImportRun, Role, Submission, ThemeRun
from app.models.base import utcnow
from tests.factories import login, make_comment, make_user, make_version
from tests.integration.test_import_jobs import queued, rows

LOST = "The import stopped before it finished; nothing was imported — run it again."
BASE = "/analysis/test-policy/second-draft"


@pytest.fixture
def version(session):
    return make_version(session, label="Second draft")


@pytest.fixture
def intake(session):
    return make_user(session, "intake")


def ago(minutes: float) -> dt.datetime:
    return utcnow() - dt.timedelta(minutes=minutes)


def lost_import(session, version, intake, minutes: float = 60, status: str = "running") -> ImportRun:
    run = queued(session, version, intake, rows(5))
    run.status, run.rows_total, run.rows_checked = status, 5, 2
    run.created_at = ago(minutes + 5)
    run.heartbeat_at = ago(minutes) if status == "running" else None
    session.commit()
    return run


def test_a_lost_import_is_marked_failed_when_its_page_is_read(client, session, version, intake):
    run = lost_import(session, version, intake)
    login(client, intake)
    page = client.get(f"/intake/imports/{run.id}").data.decode()
    assert "Nothing was imported" in page
    assert "run it again" in page
    assert "<progress" not in page
    session.expire_all()
    swept = session.get(ImportRun, run.id)
    assert (swept.status, swept.error) == ("failed", LOST)
    assert swept.finished_at is not None
    assert swept.data is None  # the file is dropped, as after any failure
    assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_the_progress_json_reports_a_lost_import_as_finished(client, session, version, intake):
    run = lost_import(session, version, intake)
    login(client, intake)
    state = client.get(f"/intake/imports/{run.id}/progress").json
    assert (state["status"], state["finished"]) == ("failed", True)


def test_a_queued_import_no_worker_took_is_swept_too(client, session, version, intake):
    run = lost_import(session, version, intake, status="queued")
    login(client, intake)
    client.get(f"/intake/imports/{run.id}")
    session.expire_all()
    assert session.get(ImportRun, run.id).status == "failed"


def test_an_import_with_a_recent_heartbeat_keeps_running(client, session, version, intake):
    run = lost_import(session, version, intake, minutes=1)
    login(client, intake)
    page = client.get(f"/intake/imports/{run.id}").data.decode()
    assert "<progress" in page
    session.expire_all()
    assert session.get(ImportRun, run.id).status == "running"


def test_the_time_without_a_heartbeat_is_configurable(app, client, session, version, intake, monkeypatch):
    run = lost_import(session, version, intake, minutes=1)
    monkeypatch.setitem(app.config, "JOBS_STALE_AFTER", 30)
    login(client, intake)
    client.get(f"/intake/imports/{run.id}")
    session.expire_all()
    assert session.get(ImportRun, run.id).status == "failed"


def test_a_finished_import_is_never_swept(session, version, intake):
    run = lost_import(session, version, intake)
    run.status = "done"
    session.commit()
    assert import_jobs.RUNNER.sweep(session) == []
    assert session.get(ImportRun, run.id).status == "done"


def test_checking_rows_beats_the_heartbeat(session, version, intake):
    run = queued(session, version, intake, rows(3))
    assert run.heartbeat_at is None
    import_jobs.execute(session, run.id, progress_commits=False)
    assert run.heartbeat_at is not None
    assert utcnow() - run.heartbeat_at < dt.timedelta(minutes=5)


def test_a_worker_reaching_a_swept_import_late_does_nothing(app, session, version, intake):
    run = lost_import(session, version, intake, status="queued")
    import_jobs.RUNNER.sweep(session)
    session.commit()
    import_jobs.RUNNER.run(app, run.id)
    session.expire_all()
    assert session.get(ImportRun, run.id).status == "failed"
    assert session.scalar(select(func.count()).select_from(Submission)) == 0


def lost_themes(session, version, minutes: float = 60) -> ThemeRun:
    run = ThemeRun(version_id=version.id, status="running", progress=40, themes_wanted=2)
    session.add(run)
    session.flush()
    run.created_at, run.heartbeat_at = ago(minutes + 5), ago(minutes)
    session.commit()
    return run


def test_a_lost_themes_run_no_longer_blocks_a_new_one(client, session, version):
    for body in ["The river is dirty.", "Clean the river.", "Rents are high.", "More housing, lower rents."]:
        make_comment(session, make_user(session), version, "purpose-1", body=body)
    stuck = lost_themes(session, version)
    login(client, make_user(session, Role.REVIEWER.value))
    session.commit()
    assert client.post(BASE + "/themes", data={"themes": "2", "seed": "0"}).status_code == 303
    session.expire_all()
    old = session.get(ThemeRun, stuck.id)
    assert old.status == "failed"
    assert "stopped before it finished" in old.error
    newest = session.scalars(select(ThemeRun).order_by(ThemeRun.id.desc())).first()
    assert newest.id != stuck.id
    assert newest.status == "done"


def test_a_themes_run_still_beating_blocks_a_second_one(client, session, version):
    lost_themes(session, version, minutes=1)
    login(client, make_user(session, Role.REVIEWER.value))
    session.commit()
    page = client.post(BASE + "/themes", data={"themes": "2", "seed": "0"})
    assert "already being worked out" in page.data.decode()
    assert session.scalar(select(func.count()).select_from(ThemeRun)) == 1


def test_the_themes_page_shows_a_lost_run_as_failed(client, session, version):
    stuck = lost_themes(session, version)
    login(client, make_user(session, Role.REVIEWER.value))
    session.commit()
    page = client.get(BASE + "/themes").data.decode()
    assert "The last run failed" in page
    session.expire_all()
    assert session.get(ThemeRun, stuck.id).status == "failed"


def test_a_worker_reaching_a_swept_themes_run_late_does_nothing(app, session, version):
    run = lost_themes(session, version)
    run.status = "queued"
    session.commit()
    theme_jobs.RUNNER.sweep(session)
    session.commit()
    theme_jobs.RUNNER.run(app, run.id)
    session.expire_all()
    assert session.get(ThemeRun, run.id).status == "failed"


def test_flask_jobs_sweep_reports_what_it_marked(runner, session, version, intake):
    quiet = runner.invoke(args=["jobs", "sweep"])
    assert quiet.exit_code == 0, quiet.output
    assert "No lost runs" in quiet.output
    imported = lost_import(session, version, intake)
    themes = lost_themes(session, version)
    fresh = lost_import(session, version, intake, minutes=1)
    result = runner.invoke(args=["jobs", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Marked 2 lost run(s) failed" in result.output
    assert f"import run {imported.id}" in result.output
    assert f"themes run {themes.id}" in result.output
    assert f"import run {fresh.id} " not in result.output
    session.expire_all()
    assert session.get(ImportRun, imported.id).status == "failed"
    assert session.get(ImportRun, fresh.id).status == "running"
    assert session.get(ThemeRun, themes.id).status == "failed"


def test_flask_jobs_sweep_takes_its_own_limit(runner, session, version, intake):
    run = lost_import(session, version, intake, minutes=2)
    result = runner.invoke(args=["jobs", "sweep", "--after", "60"])
    assert "Marked 1 lost run(s) failed (no heartbeat for 60 s)" in result.output
    session.expire_all()
    assert session.get(ImportRun, run.id).status == "failed"
