"""Real-browser tests: Playwright drives Debian's Chromium against a live server on 127.0.0.1.

One server and one database per session (see /work/shared/BROWSER-TESTS.md for the recipe):

- the database is separate from the integration tests' one: a SQLite file of its own, or on PostgreSQL
  (TEST_DATABASE_URL) a database of its own, `test_browser_<pid>`, created here and dropped at the end, so runs by
  several people on one server never drop each other's data;
- it is built by `alembic upgrade head` and holds the drafts in policy_drafts/ plus one demo account per role
  (`<role>@demo.korero.test`, password `DEMO_PASSWORD`);
- the server is gunicorn in a subprocess (werkzeug in a thread if gunicorn is missing), with CSRF on, rate
  limits off and TESTING off — the app as a visitor meets it.

Fixtures for tests: `live_server` (its URL; `page.goto("/")` works), `seed(fn)` and `db_session` (write to the
browser database; data persists for the session, so make it unique), `sign_in(page, role)` and `axe_check(page)`.
Screenshots and traces of failing tests land in test-results/ (addopts in pyproject.toml).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from app import create_app
from app.extensions import db
from tests.support.database import app_config, sqlalchemy_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DRAFTS = ROOT / "policy_drafts"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # resolve no host but our own: otherwise Chromium keeps looking up Google's hosts
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SECRET_KEY = "browser-test-secret-key-not-for-production"
DB_PREFIX = "test_browser_"

T = TypeVar("T")

# expect() retries until this timeout; the default 5 s is too tight when the whole suite shares a busy machine.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything under tests/browser/ as `browser`, so `-m "not browser"` leaves it out."""
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


# --- Chromium --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium (pytest-playwright has no option for an executable path)."""
    if CHROMIUM is None:
        reason = "chromium is not installed (apt-get install chromium fonts-liberation); set CHROMIUM_PATH"
        if IN_CI:
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        print(f"\nskipping browser tests: {reason}", file=sys.stderr)
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ARGS}


# --- the browser database --------------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create_postgres_database(server_url: str) -> str:
    """Create this run's own database on the TEST_DATABASE_URL's server; drop those of runs that died."""
    name = f"{DB_PREFIX}{os.getpid()}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        existing = connection.scalars(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
            {"pattern": DB_PREFIX.replace("_", r"\_") + "%"},
        ).all()
        for stale in existing:
            pid = stale.removeprefix(DB_PREFIX)
            if stale == name or (pid.isdigit() and not _pid_alive(int(pid))):
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(server_url: str, url: str) -> None:
    name = sa.engine.make_url(url).database
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def live_config(instance: Path, url: str) -> dict[str, Any]:
    """The live server's settings: tests/conftest.py's (tests/support/database.py), with CSRF on and TESTING off."""
    config: dict[str, Any] = {
        **app_config(instance, url),
        "TESTING": False,
        "SECRET_KEY": SECRET_KEY,
        "WTF_CSRF_ENABLED": True,
        # Tests seed rows from this process, which the server's in-process page cache cannot hear about.
        "PAGE_CACHE_SECONDS": 0,
        # The comment forms refuse posts sooner than this after showing; a person takes longer, tests wait 1 s.
        "COMMENTS_MIN_FILL_SECONDS": 1,
    }
    del config["SERVER_NAME"]  # the server answers on 127.0.0.1:<port>, not korero.test
    return config


@pytest.fixture(scope="session")
def browser_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """Build the browser tests' database: migrations, the project's drafts, one demo account per role."""
    from flask_migrate import upgrade

    from app.auth.services import ensure_demo_accounts
    from app.drafts.services import import_drafts

    instance = tmp_path_factory.mktemp("browser-instance")
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        server_url = sqlalchemy_url(server_url)
        url = _create_postgres_database(server_url)
    else:
        url = f"sqlite:///{instance / 'browser.db'}"
    app = create_app(live_config(instance, url))
    with app.app_context():
        upgrade()
        import_drafts(db.session, DRAFTS)
        ensure_demo_accounts(db.session)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    try:
        yield instance, url
    finally:
        if server_url:
            _drop_postgres_database(server_url, url)


@pytest.fixture(scope="session")
def browser_app(browser_database: tuple[Path, str]) -> Iterator[Flask]:
    """An in-process app on the browser database, for seeding data (the server runs in another process)."""
    instance, url = browser_database
    app = create_app(live_config(instance, url))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(browser_app: Flask) -> Iterator[Session]:
    """A session on the browser database; commit what the live server should see."""
    with browser_app.app_context():
        session = Session(db.engine, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()


@pytest.fixture
def seed(browser_app: Flask) -> Callable[[Callable[[Session], T]], T]:
    """Run `fn(session)` against the browser database, commit, and return what it returned."""

    def run(fn: Callable[[Session], T]) -> T:
        with browser_app.app_context():
            session = Session(db.engine, expire_on_commit=False)
            try:
                result = fn(session)
                session.commit()
            finally:
                session.close()
        return result

    return run


# --- the live server -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(
    url: str, proc: subprocess.Popen[bytes] | None, log: Path | None, seconds: float = 30
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            text = log.read_text() if log else ""
            raise RuntimeError(f"the live server exited with {proc.returncode}:\n{text}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:  # noqa: S310 - our own http URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    text = log.read_text() if log else ""
    raise RuntimeError(f"the live server did not answer at {url} within {seconds:.0f}s:\n{text}")


@pytest.fixture(scope="session")
def live_server(browser_database: tuple[Path, str]) -> Iterator[str]:
    """Serve the app on 127.0.0.1 on a free port for the whole session; yield its base URL."""
    instance, url = browser_database
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    config = live_config(instance, url)
    if importlib.util.find_spec("gunicorn") is not None:
        log = instance / "gunicorn.log"
        env = {**os.environ, "KORERO_LIVE_CONFIG": json.dumps(config), "KORERO_INSTANCE": str(instance)}
        command = [
            sys.executable, "-m", "gunicorn",
            "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--threads", "4", "--worker-class", "gthread",
            "--chdir", str(ROOT), "--pythonpath", f"{HERE},{ROOT}",
            "--log-level", "warning", "--error-logfile", "-",
            "live_app:make_app()",
        ]  # fmt: skip
        with log.open("wb") as out:
            proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            _wait_until_up(base, proc, log)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    else:
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", port, create_app(config), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            _wait_until_up(base, None, None)
            yield base
        finally:
            server.shutdown()
            thread.join(timeout=10)


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """Point pytest-playwright's contexts at the live server, so `page.goto("/")` works."""
    return live_server


# --- helpers tests call ----------------------------------------------------------------------------------------


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """Sign in through /login's form: `sign_in(page, "drafter")` uses the demo account for that role."""
    from app.auth.services import DEMO_PASSWORD

    def run(page: Page, role: str, *, email: str | None = None, password: str = DEMO_PASSWORD) -> None:
        page.goto("/login")
        form = page.locator("form:has(input[name='password'])")
        form.locator("input[name='email']").fill(email or f"{role}@demo.korero.test")
        form.locator("input[name='password']").fill(password)
        form.locator("[type='submit']").click()
        page.wait_for_load_state()
        expect(page).not_to_have_url(re.compile(r"/login(\?|$)"))

    return run


@pytest.fixture(scope="session")
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def axe_check(axe: Any) -> Callable[..., None]:
    """Assert the page has no WCAG 2.2 A/AA violations axe-core can find; the report is the message."""

    def run(page: Page, context: str | list[Any] | dict[str, Any] | None = None) -> None:
        options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        results = axe.run(page, context=context, options=options)
        assert results.violations_count == 0, f"axe on {page.url}:\n{results.generate_report()}"

    return run
