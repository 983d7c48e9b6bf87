"""Configuration from the environment, and SQLite opened for several writers."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import ConfigError, load_config


def test_production_requires_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        load_config({"ENV": "production", "INSTANCE_PATH": str(tmp_path)})


def test_development_generates_a_secret_key_once(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    second = load_config({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_secret_key_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert load_config({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"] == "from-the-environment"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_from_the_environment(monkeypatch, tmp_path, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert (
        load_config({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"]
        == expected
    )


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = load_config({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"]
    assert url == f"sqlite:///{tmp_path / 'korero.db'}"


def test_rate_limits_use_redis_when_redis_url_is_set(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    config = load_config({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_sqlite_is_opened_with_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_several_writers_do_not_hit_database_is_locked(tmp_path):
    url = f"sqlite:///{tmp_path / 'writers.db'}"
    setup = sa.create_engine(url)
    with setup.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE hits (id INTEGER PRIMARY KEY, worker INTEGER)")
    setup.dispose()
    errors: list[Exception] = []

    def write(worker: int) -> None:
        engine = sa.create_engine(url)  # one engine per worker, as separate processes would have
        try:
            for _ in range(25):
                with engine.begin() as connection:
                    connection.exec_driver_sql("INSERT INTO hits (worker) VALUES (?)", (worker,))
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    check = sa.create_engine(url)
    with check.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM hits").scalar() == 100
    check.dispose()


def test_the_app_factory_takes_overrides(tmp_path):
    app = create_app({"SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path), "SITE_NAME": "Test site"})
    assert app.config["SITE_NAME"] == "Test site"
    assert "drafts.home" in app.view_functions


def test_old_secret_keys_can_be_kept_while_a_new_one_takes_over(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "old-key-one, old-key-two")
    config = load_config({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "new"})
    assert config["SECRET_KEY_FALLBACKS"] == ["old-key-one", "old-key-two"]
