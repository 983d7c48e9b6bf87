"""Configuration: defaults, then the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

BASE_DIR = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting that must be given is missing."""


def instance_path() -> Path:
    """Return the instance folder (KORERO_INSTANCE or ./instance), created on demand."""
    path = Path(os.environ.get("KORERO_INSTANCE", BASE_DIR / "instance")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(env: str, folder: Path) -> str:
    """Read SECRET_KEY; in development generate one once into the instance folder."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise ConfigError("SECRET_KEY must be set in production (KORERO_ENV=production)")
    key_file = folder / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url(folder: Path) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'korero.db'}"
    # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants the psycopg 3 driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _list(value: str | None) -> list[str] | None:
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    return items or None


def _engine_options(url: str) -> dict[str, Any]:
    """Pool settings, and for PostgreSQL no server-side prepared statements.

    psycopg prepares a statement after five executions, and PostgreSQL then may switch to a generic plan that
    ignores the parameters. Comment data is skewed (one clause can hold a quarter of all comments), so a
    generic plan for "comments on this clause" is the plan for the average clause and scans the hot one: a
    2 ms lookup became 1.1–1.7 s. Planning each statement costs tens of microseconds; we pay that.
    """
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {"prepare_threshold": None}
        options["pool_size"] = int(os.environ.get("KORERO_DB_POOL_SIZE") or 10)
        options["pool_timeout"] = 5  # a request that cannot get a connection answers 503 rather than hanging
    return options


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the configuration mapping from defaults, the environment and `overrides`."""
    overrides = overrides or {}
    env = overrides.get("ENV", os.environ.get("KORERO_ENV", "development"))
    folder = Path(overrides.get("INSTANCE_PATH", instance_path()))
    config: dict[str, Any] = {
        "ENV": env,
        "INSTANCE_PATH": str(folder),
        "SQLALCHEMY_DATABASE_URI": _database_url(folder),
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(_database_url(folder)),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Where a comment's deferred work runs (app/comments/jobs.py): rq, thread or inline; unset = rq with
        # REDIS_URL (run `rq worker -w rq.worker.SimpleWorker korero-comments`), else a thread in the process.
        "COMMENT_JOBS": os.environ.get("KORERO_COMMENT_JOBS") or None,
        # How much deferred comment work yields the CPU to requests (a Unix nice increment, 0 to 19): on a
        # busy day readers and posters are served first and the settling catches up afterwards.
        "COMMENT_JOB_NICENESS": int(os.environ.get("KORERO_COMMENT_JOB_NICENESS", "10")),
        # While the CPU is saturated (runnable work waited for a core more than this per cent of the last ten
        # seconds, Linux PSI), deferred comment work holds back, at most COMMENT_SETTLE_MAX_DELAY seconds after
        # the comment was queued. 0 = never hold back (where the database is on its own machine, say).
        "COMMENT_SETTLE_PRESSURE": float(os.environ.get("KORERO_COMMENT_SETTLE_PRESSURE", "60")),
        "COMMENT_SETTLE_MAX_DELAY": float(os.environ.get("KORERO_COMMENT_SETTLE_MAX_DELAY", "300")),
        # The bounded queue for comment writers, per process (app/comments/admission.py): at most this many
        # comment stores at once, at most this many more waiting for one, each for at most this many seconds;
        # a writer who cannot get a turn is answered 503 with their words kept in the form, nothing stored.
        "COMMENT_WRITERS": max(1, int(os.environ.get("KORERO_COMMENT_WRITERS") or 2)),
        "COMMENT_WRITE_QUEUE": max(0, int(os.environ.get("KORERO_COMMENT_WRITE_QUEUE") or 16)),
        "COMMENT_WRITE_WAIT": max(0.0, float(os.environ.get("KORERO_COMMENT_WRITE_WAIT") or 10)),
        # Seconds without a heartbeat before a queued or running import or themes run counts as lost (app/jobs.py).
        "JOBS_STALE_AFTER": int(os.environ.get("KORERO_JOBS_STALE_AFTER") or 900),
        "MAX_CONTENT_LENGTH": 3 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 3 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": 6 * 3600,
        # In production the cookies carry the __Host- prefix: the browser then sends them only over HTTPS, to
        # this host alone (no Domain, Path=/), so a sibling subdomain can neither read nor plant them.
        "SESSION_COOKIE_NAME": "__Host-session" if env == "production" else "session",
        "REMEMBER_COOKIE_NAME": "__Host-remember" if env == "production" else "remember_token",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "BABEL_DEFAULT_LOCALE": "en",
        # Dates and times on pages are New Zealand ones: a period opening at midnight NZ time (11:00 the day
        # before in UTC) is shown on its own day.
        "BABEL_DEFAULT_TIMEZONE": "Pacific/Auckland",
        "LANGUAGES": ("en", "mi"),
        "DRAFTS_PATH": os.environ.get("KORERO_DRAFTS", str(BASE_DIR / "policy_drafts")),
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: count in this process's memory until it answers again (limits per worker for a while,
        # never a 500), and should even that fail, let the request through rather than refuse it.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "SITE_NAME": "Kōrero",
        # Shown on /contact when set (KORERO_CONTACT_EMAIL), e.g. the consultation team's shared mailbox.
        "CONTACT_EMAIL": os.environ.get("KORERO_CONTACT_EMAIL") or None,
        # Links in mail are built from this origin when set (e.g. https://korero.example.org), so a forged
        # Host header can never put someone else's site into a password-reset link.
        "PUBLIC_URL": os.environ.get("KORERO_PUBLIC_URL") or None,
        # Host names this site answers to (Flask refuses others with 400); comma-separated, unset = any.
        "TRUSTED_HOSTS": _list(os.environ.get("KORERO_TRUSTED_HOSTS")),
        # Old secret keys still accepted for signed cookies while a new SECRET_KEY takes over (comma-separated).
        "SECRET_KEY_FALLBACKS": _list(os.environ.get("SECRET_KEY_FALLBACKS")) or [],
        # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (the TLS proxy: 1). Without
        # it every client behind the proxy would share one rate-limit bucket.
        "PROXY_COUNT": int(os.environ.get("KORERO_PROXY_COUNT") or 0),
        # Mail: sent through SMTP when MAIL_SERVER is set, else written to instance/outbox/ and the log.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 587),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "true").lower() in {"1", "true", "yes", "on"},
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "Kōrero <no-reply@localhost>",
        # Distinct open reports after which a published comment is held for a moderator.
        "REPORT_HIDE_THRESHOLD": 3,
    }
    if not overrides.get("SECRET_KEY"):
        config["SECRET_KEY"] = _secret_key(env, folder)
    config.update(overrides)
    if "SQLALCHEMY_DATABASE_URI" in overrides and "SQLALCHEMY_ENGINE_OPTIONS" not in overrides:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(config["SQLALCHEMY_DATABASE_URI"])
    if env == "production" and not config.get("PUBLIC_URL"):
        raise ConfigError(
            "KORERO_PUBLIC_URL must be set in production: links in mail are built from it, never from the Host header"
        )
    config["RATELIMIT_STORAGE_URI"] = config.get("RATELIMIT_STORAGE_URI") or (
        config["REDIS_URL"] or "memory://"
    )
    return config


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Open SQLite with WAL, foreign keys and a busy timeout so several workers can write."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Let SQLAlchemy, not the driver, decide where transactions begin, so SAVEPOINTs work
    # (the pysqlite recipe in SQLAlchemy's SQLite dialect documentation).
    dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Any) -> None:
    """Begin SQLite transactions; those of requests that may write take the write lock first.

    A deferred transaction that reads and then writes cannot wait for the lock (SQLite answers "database is
    locked" at once, to avoid a deadlock); one begun IMMEDIATE waits up to the busy timeout instead. Reads
    (GET) stay deferred, so readers never queue behind writers (WAL lets them read during a write).
    """
    if connection.dialect.name != "sqlite":
        return
    from flask import has_request_context, request

    if has_request_context() and request.method in {"GET", "HEAD", "OPTIONS"}:
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
