"""Health checks, request ids, JSON logs and /metrics (app/observability.py)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import uuid

import pytest

from app import create_app
from app.observability import (
    REQUEST_ID_HEADER,
    RequestIdFilter,
    _JsonHandler,
    json_formatter,
    record_cache_hit,
    record_cache_miss,
)
from tests.conftest import ROOT
from tests.conftest import test_config as base_settings


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_reachable(url: str = "redis://127.0.0.1:6379/0") -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.3).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def broken_app(tmp_path_factory: pytest.TempPathFactory):
    """An app whose database and Redis are both at closed ports."""
    tmp_path = tmp_path_factory.mktemp("broken")
    settings = base_settings(tmp_path, f"postgresql+psycopg://korero@127.0.0.1:{closed_port()}/korero")
    settings["REDIS_URL"] = f"redis://127.0.0.1:{closed_port()}/0"
    return create_app(settings)


# --- /healthz and /readyz ------------------------------------------------------------------------------


def test_healthz_answers_without_touching_the_database(broken_app):
    response = broken_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ok_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok"}  # no REDIS_URL: Redis is not checked


def test_readyz_names_what_failed(broken_app):
    response = broken_app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database", "redis"]
    assert body["checks"]["database"].startswith("failed: ")
    assert "127.0.0.1" not in json.dumps(body)  # the class of failure only; addresses stay in the log


def test_readyz_checks_redis_when_it_is_set(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["redis"]
    assert response.get_json()["checks"]["database"] == "ok"


# --- request ids ---------------------------------------------------------------------------------------


def test_a_safe_incoming_request_id_is_echoed(client):
    offered = "req-" + uuid.uuid4().hex
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: offered})
    assert response.headers[REQUEST_ID_HEADER] == offered


@pytest.mark.parametrize(
    "offered",
    ["short", "has spaces in it", 'quote"inside-it-0', "x" * 200, "ünïcode-request-id", "-leading-dash-x"],
)
def test_an_unsafe_request_id_is_replaced(client, offered):
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: offered})
    generated = response.headers[REQUEST_ID_HEADER]
    assert generated != offered
    assert len(generated) == 32
    int(generated, 16)


def test_every_response_gets_a_request_id_even_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert len(response.headers[REQUEST_ID_HEADER]) == 32


def test_log_records_carry_the_request_id_as_json(app):
    formatter = json_formatter()
    id_filter = RequestIdFilter()
    with app.test_request_context("/", headers={REQUEST_ID_HEADER: "trace-1234567890"}):
        app.preprocess_request()
        record = logging.LogRecord("app", logging.WARNING, __file__, 1, "cache %s failed", ("x",), None)
        id_filter.filter(record)
        line = json.loads(formatter.format(record))
    assert line["request_id"] == "trace-1234567890"
    assert line["message"] == "cache x failed"
    assert line["level"] == "WARNING"
    assert line["logger"] == "app"
    outside = logging.LogRecord("app", logging.INFO, __file__, 1, "no request", (), None)
    id_filter.filter(outside)
    assert json.loads(formatter.format(outside))["request_id"] is None


def test_the_json_handler_is_installed_once_however_many_apps(app, tmp_path):
    create_app(base_settings(tmp_path, "sqlite://"))
    handlers = [handler for handler in app.logger.handlers if isinstance(handler, _JsonHandler)]
    assert len(handlers) == 1


# --- /metrics ------------------------------------------------------------------------------------------


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text output (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        if series.split("{", 1)[0] != name:
            continue
        if all(f'{key}="{value_}"' in series for key, value_ in labels.items()):
            return float(value)
    return 0.0


def test_metrics_time_requests_by_endpoint(client):
    before = sample(
        client.get("/metrics").text, "korero_request_duration_seconds_count", endpoint="privacy.notice"
    )
    assert client.get("/privacy").status_code == 200
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    after = sample(
        response.text, "korero_request_duration_seconds_count", endpoint="privacy.notice", status="200"
    )
    assert after == before + 1
    assert 'endpoint="observability.metrics"' not in response.text  # the scrape does not time itself


def test_cache_hits_and_misses_are_counted(client):
    text = client.get("/metrics").text
    hits, misses = (
        sample(text, "korero_page_cache_hits_total"),
        sample(text, "korero_page_cache_misses_total"),
    )
    record_cache_hit()
    record_cache_hit()
    record_cache_miss()
    text = client.get("/metrics").text
    assert sample(text, "korero_page_cache_hits_total") == hits + 2
    assert sample(text, "korero_page_cache_misses_total") == misses + 1


def test_queue_depth_is_exported_even_without_redis(client):
    assert "# TYPE korero_queue_depth gauge" in client.get("/metrics").text


@pytest.mark.skipif(not redis_reachable(), reason="Redis is not reachable on 127.0.0.1:6379")
def test_queue_depth_reads_the_rq_queues(tmp_path):
    from redis import Redis
    from rq import Queue

    url = "redis://127.0.0.1:6379/13"  # a db of its own, so other queues on this machine are not counted
    name = f"korero-test-{uuid.uuid4().hex[:8]}"
    connection = Redis.from_url(url)
    queue = Queue(name, connection=connection)
    try:
        queue.enqueue_call("builtins.print", args=("never run",))
        queue.enqueue_call("builtins.print", args=("never run",))
        settings = base_settings(tmp_path, "sqlite://")
        settings["REDIS_URL"] = url
        text = create_app(settings).test_client().get("/metrics").text
        assert sample(text, "korero_queue_depth", queue=name) == 2
    finally:
        queue.delete(delete_jobs=True)


@pytest.mark.parametrize(
    ("remote", "headers", "status"),
    [
        ("203.0.113.9", {}, 401),
        ("203.0.113.9", {"Authorization": "Bearer wrong-token"}, 401),
        ("203.0.113.9", {"Authorization": "Bearer metrics-token-for-tests"}, 200),
        ("127.0.0.1", {}, 200),
        ("::1", {}, 200),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, 401),  # relayed by a proxy on this machine
        ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}, 401),
    ],
)
def test_metrics_are_only_for_loopback_or_the_token(app, monkeypatch, remote, headers, status):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "metrics-token-for-tests")
    response = app.test_client().get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert response.status_code == status
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "korero_" not in response.text


def test_without_a_token_configured_no_bearer_is_accepted(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    response = app.test_client().get(
        "/metrics", headers={"Authorization": "Bearer "}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert response.status_code == 401


MULTIPROCESS_SCRIPT = """
import os, sys
sys.path.insert(0, {root!r})
from app import create_app
from app.observability import record_cache_hit
app = create_app({{"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                  "INSTANCE_PATH": {instance!r}, "REDIS_URL": None}})
for _ in range(int(sys.argv[1])):
    record_cache_hit()
if sys.argv[2] == "scrape":
    sys.stdout.write(app.test_client().get("/metrics").text)
"""


def test_multiprocess_mode_adds_up_every_worker(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR, a scrape in one process counts what the others (workers) recorded."""
    folder = tmp_path / "prom"
    folder.mkdir()
    script = MULTIPROCESS_SCRIPT.format(root=str(ROOT), instance=str(tmp_path))
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    subprocess.run([sys.executable, "-c", script, "3", "quiet"], env=env, check=True, timeout=60)  # noqa: S603
    scraped = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, "4", "scrape"],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert sample(scraped.stdout, "korero_page_cache_hits_total") == 7
    assert list(folder.glob("counter_*.db"))
