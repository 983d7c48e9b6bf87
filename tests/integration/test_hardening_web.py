"""Hardening at the edge: hosts, proxies, over-size bodies, private pages, SQLite writers, PostgreSQL plans."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import ConfigError, load_config
from tests.conftest import test_config as app_settings
from tests.factories import login, make_user


def test_production_requires_a_public_url(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.delenv("KORERO_PUBLIC_URL", raising=False)
    with pytest.raises(ConfigError, match="KORERO_PUBLIC_URL"):
        load_config({"ENV": "production", "INSTANCE_PATH": str(tmp_path)})
    monkeypatch.setenv("KORERO_PUBLIC_URL", "https://korero.example.org")
    assert load_config({"ENV": "production", "INSTANCE_PATH": str(tmp_path)})["PUBLIC_URL"]


def test_production_cookies_are_host_only_secure_and_kept_from_scripts(monkeypatch, tmp_path, app):
    """ASVS 5.0 3.3.1-3.3.4: Secure, the __Host- prefix (so no Domain and Path=/), HttpOnly, SameSite=Lax."""
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("KORERO_PUBLIC_URL", "https://korero.example.org")
    settings = load_config({"ENV": "production", "INSTANCE_PATH": str(tmp_path)})
    assert settings["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert settings["REMEMBER_COOKIE_NAME"].startswith("__Host-")
    production = dict(app.config)
    production.update({k: settings[k] for k in settings if "COOKIE" in k})
    production["WTF_CSRF_ENABLED"] = True  # the sign-in form then keeps its token in the session cookie
    served = create_app(production)
    response = served.test_client().get("/login", base_url="https://korero.test")
    cookies = response.headers.getlist("Set-Cookie")
    (session_cookie,) = [c for c in cookies if c.startswith("__Host-session=")]
    attributes = {part.strip().split("=")[0].lower() for part in session_cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes
    assert "domain" not in attributes
    assert "Path=/;" in session_cookie + ";"
    assert "SameSite=Lax" in session_cookie


def test_a_host_that_is_not_trusted_is_refused(app, client):
    app.config["TRUSTED_HOSTS"] = ["korero.test"]
    app.config["SERVER_NAME"] = (
        None  # production sets no SERVER_NAME; the trusted-hosts list does the refusing
    )
    try:
        assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
        assert client.get("/", headers={"Host": "korero.test"}).status_code == 200
    finally:
        app.config["TRUSTED_HOSTS"] = None
        app.config["SERVER_NAME"] = "korero.test"


def test_postgresql_connections_never_use_generic_plans():
    options = load_config({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://h/db", "SECRET_KEY": "k"})[
        "SQLALCHEMY_ENGINE_OPTIONS"
    ]
    assert options["connect_args"] == {"prepare_threshold": None}
    sqlite = load_config({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db", "SECRET_KEY": "k"})
    assert "connect_args" not in sqlite["SQLALCHEMY_ENGINE_OPTIONS"]


def test_behind_the_proxy_each_client_has_its_own_address(database):
    tmp_dir, url = database
    app = create_app({**app_settings(tmp_dir, url), "PROXY_COUNT": 1})

    @app.get("/_whoami")
    def whoami() -> str:
        from flask import request

        return request.remote_addr or ""

    client = app.test_client()
    first = client.get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"})
    second = client.get("/_whoami", headers={"X-Forwarded-For": "198.51.100.9"})
    assert (first.text, second.text) == ("203.0.113.7", "198.51.100.9")


def test_an_oversize_body_is_answered_with_a_page(app, client):
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/login", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert "too large" in response.text


def test_signed_in_pages_are_kept_by_no_cache(client, session):
    user = make_user(session)
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    login(client, user)
    for path in ("/", "/account"):
        assert client.get(path).headers["Cache-Control"] == "private, no-store"


def test_sqlite_writers_wait_for_each_other_instead_of_failing(tmp_path):
    """Read-then-write transactions from many requests at once: none answers "database is locked"."""
    url = f"sqlite:///{tmp_path / 'writers.db'}"
    app = create_app({**app_settings(tmp_path, url), "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 20}})
    from app.extensions import db

    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE tally (n INTEGER)"))
        connection.execute(sa.text("INSERT INTO tally VALUES (0)"))
    errors: list[Exception] = []
    start = threading.Barrier(12)

    def writer() -> None:
        with app.test_request_context("/", method="POST"):
            try:
                start.wait()
                n = db.session.execute(sa.text("SELECT n FROM tally")).scalar_one()
                db.session.execute(sa.text("UPDATE tally SET n = :n"), {"n": n + 1})
                db.session.commit()
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        total = db.session.execute(sa.text("SELECT n FROM tally")).scalar_one()
        db.engine.dispose()
    assert errors == []
    assert total == 12  # no lost update: each read saw the previous write


def test_trace_and_other_unused_methods_are_refused(client):
    """ASVS 5.0 13.4.4: no TRACE (nor any method a route does not take)."""
    assert client.open("/", method="TRACE").status_code == 405
    assert client.open("/login", method="PUT").status_code == 405


def test_every_response_carries_the_browser_security_headers(client):
    """ASVS 5.0 3.4.3-3.4.6: a CSP with object-src and base-uri 'none' and frame-ancestors, nosniff, a referrer
    policy; the same on an error page."""
    for path in ("/", "/no-such-page", "/static/css/site.css"):
        response = client.get(path)
        headers = response.headers
        response.close()
        csp = headers["Content-Security-Policy"]
        assert "object-src 'none'" in csp
        assert "base-uri 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
