"""Watching the site run: health checks, JSON logs with a request id, and Prometheus metrics.

- `/healthz` answers 200 while the process can serve a request; it touches neither the database nor Redis, so
  a load balancer never restarts a healthy process because PostgreSQL is briefly away.
- `/readyz` answers 200 only when the database answers `SELECT 1` and Redis (when `REDIS_URL` is set) answers
  PING; otherwise 503 with JSON naming what failed, so the balancer stops sending traffic to this instance. It
  also reports the settle backlog (`settle_backlog`), which never makes an instance unready.
- Every request gets an id: the caller's `X-Request-ID` when it is a safe token (a proxy's or a load balancer's,
  so one id follows a request through every log), else a new one. It is echoed in the response header and put
  on every log record, which is written as one JSON object a line.
- `/metrics` is the Prometheus text format: request latency by endpoint, the RQ queue depths, the page cache
  hits and misses (`record_cache_hit()` / `record_cache_miss()`), the comment writers' waits and refusals
  (`record_admission()`, app/comments/admission.py) and the settle backlog: how many comments are stored but not
  yet settled and how old the oldest is, read from the database at each scrape (absent while it is away). Under gunicorn with several workers, each
  worker writes its figures to files in `PROMETHEUS_MULTIPROC_DIR` and the scrape adds them up (prometheus_client's
  multiprocess mode; gunicorn.conf.py sets it up and removes a dead worker's live gauges).
  It is not public: only a direct connection from loopback (not one relayed by a proxy) or a request with
  `Authorization: Bearer <METRICS_TOKEN>` may read it.
- Security events (ASVS 5.0 16.3) go to the `app.security` logger as JSON lines with an `security` object: who
  (account id), from where (client address), what (`event`) and on which path. Sign-ins and sign-outs, failed
  sign-ins, refused requests (401, 403), CSRF failures and rate limits hit are recorded here; account changes are
  also kept in the database's audit log. Secrets (passwords, tokens, whole email addresses) are never logged.
  Times are UTC, ISO 8601.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import text

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators, as load balancers and proxies generate them (UUIDs, AWS trace ids);
# anything else (spaces, quotes, newlines that would forge log lines, very long values) is replaced.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=-]{7,127}")
_EXTENSION = "korero_observability"
# Paths that are never timed: the scrape itself and the probes would drown the figures that matter.
_UNTIMED = frozenset({"observability.metrics", "observability.healthz", "observability.readyz"})

# Created once per process (metrics register themselves in the default registry, and tests build many apps).
REQUEST_LATENCY = Histogram(
    "korero_request_duration_seconds",
    "Time from the start of a request to its response, by endpoint.",
    ("method", "endpoint", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
PAGE_CACHE_HITS = Counter("korero_page_cache_hits", "Pages served from the page cache.")
PAGE_CACHE_MISSES = Counter("korero_page_cache_misses", "Cacheable pages that had to be rendered.")
COMMENT_ADMISSION_WAIT = Histogram(
    "korero_comment_admission_wait_seconds",
    "Time a comment writer waited for a store slot (app/comments/admission.py), by outcome.",
    ("outcome",),
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
COMMENT_ADMISSION_REFUSED = Counter(
    "korero_comment_admission_refused",
    "Comment writers answered 503 without storing (the queue was full, or their wait ran out), by reason.",
    ("reason",),
)
COMMENT_WRITERS_WAITING = Gauge(
    "korero_comment_writers_waiting",
    "Comment writers waiting for a store slot now.",
    multiprocess_mode="livesum",  # the workers' queues added up; a dead worker's drop out
)


def record_cache_hit() -> None:
    """Count one page served from the page cache."""
    PAGE_CACHE_HITS.inc()


def record_cache_miss() -> None:
    """Count one cacheable page that had to be rendered."""
    PAGE_CACHE_MISSES.inc()


def record_admission(waited: float, admitted: bool, reason: str | None = None) -> None:
    """Count one comment writer's wait for a store slot, and why it was refused if it was."""
    COMMENT_ADMISSION_WAIT.labels("admitted" if admitted else "refused").observe(waited)
    if not admitted:
        COMMENT_ADMISSION_REFUSED.labels(reason or "unknown").inc()


# --- request ids and JSON logs -------------------------------------------------------------------------


def request_id() -> str | None:
    """The id of the current request, or None outside one."""
    if not has_request_context():
        return None
    value = g.get("request_id")
    return str(value) if value is not None else None


def _incoming_request_id() -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if _SAFE_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Put the current request's id (or null) on every record, for the JSON formatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one JSON handler; its class tells a second `create_app` in the same process it is already there."""


def json_formatter() -> logging.Formatter:
    """The JSON formatter for the app's log lines (also used by gunicorn.conf.py for gunicorn's own).

    `time` is UTC in ISO 8601 with its offset, so lines from several hosts sort and correlate (ASVS 5.0 16.2.2).
    """
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        json_ensure_ascii=False,
    )


SECURITY_LOG = logging.getLogger("app.security")


def security_event(event: str, **fields: Any) -> None:
    """Record one security-relevant event: what happened, to which account, from where, on which path."""
    record: dict[str, Any] = {"event": event, **fields}
    if has_request_context():
        user = g.get("_login_user")
        signed_in = user is not None and user.is_authenticated
        record.update(
            path=request.path,
            method=request.method,
            client=request.remote_addr,
            user_id=getattr(user, "id", None) if signed_in else None,
        )
    SECURITY_LOG.info(event, extra={"security": record})


def _log_sign_ins(app: Flask) -> None:
    from flask_login import user_logged_in, user_logged_out

    def signed_in(sender: Flask, user: Any, **_: Any) -> None:
        security_event("auth.signed_in", user_id=user.id)

    def signed_out(sender: Flask, user: Any, **_: Any) -> None:
        security_event("auth.signed_out", user_id=getattr(user, "id", None))

    user_logged_in.connect(signed_in, app, weak=False)
    user_logged_out.connect(signed_out, app, weak=False)


def _install_json_logging(app: Flask) -> None:
    from flask.logging import default_handler

    logger = app.logger
    logger.removeHandler(default_handler)
    if not any(isinstance(handler, _JsonHandler) for handler in logger.handlers):
        handler = _JsonHandler(sys.stderr)
        handler.setFormatter(json_formatter())
        handler.addFilter(RequestIdFilter())
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.DEBUG if app.debug else logging.INFO)


# --- metrics -------------------------------------------------------------------------------------------


class QueueDepthCollector(Collector):
    """`korero_queue_depth{queue=...}`: each RQ queue's length, read from Redis at scrape time."""

    def __init__(self, redis_url: str | None) -> None:
        self.redis_url = redis_url
        self._connection: Any = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("korero_queue_depth", "Jobs waiting in each RQ queue.", labels=["queue"])
        if self.redis_url:
            try:
                for name, depth in self._depths():
                    family.add_metric([name], depth)
            except Exception as error:  # Redis away: the scrape still answers, without the figure
                logging.getLogger(__name__).warning("queue depth unavailable: %s", error)
        yield family

    def _depths(self) -> Iterable[tuple[str, int]]:
        from rq import Queue

        if self._connection is None:
            from redis import Redis

            self._connection = Redis.from_url(
                self.redis_url or "", socket_timeout=0.5, socket_connect_timeout=0.5
            )
        return [(queue.name, queue.count) for queue in Queue.all(connection=self._connection)]


BACKLOG_STATEMENT_TIMEOUT_MS = 2000


def read_backlog() -> Any:
    """The settle backlog (`app.comments.jobs.Backlog`), or None when the database cannot say (it is logged).

    Read through the request's session and ended at once, like the readiness probe; on PostgreSQL bounded by a
    statement timeout, so a slow database makes the figure go missing rather than the scrape hang.
    """
    from app.comments.jobs import backlog
    from app.extensions import db

    try:
        session = db.session()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"SET LOCAL statement_timeout = {BACKLOG_STATEMENT_TIMEOUT_MS}"))
        return backlog(session)
    except Exception as error:  # the database away or slow: no figure, never a failed scrape
        logging.getLogger(__name__).warning("settle backlog unavailable: %s", error)
        return None
    finally:
        try:
            db.session.rollback()
        except Exception:  # the connection may be what failed
            db.session.remove()


class SettleBacklogCollector(Collector):
    """How far comment settling is behind, read from the database at scrape time (`read_backlog`).

    `korero_comments_unsettled`: comments stored but not yet grouped and counted (counted up to
    `BACKLOG_COUNT_LIMIT`); `korero_comments_unsettled_oldest_age_seconds`: how long the oldest has waited (0
    when none). Both are absent from a scrape while the database cannot answer.
    """

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from flask import has_app_context

        found = read_backlog() if has_app_context() else None
        count, age = self._families()
        if found is not None:
            count.add_metric([], found.count)
            age.add_metric([], round(found.oldest_age(), 3))
        yield count
        yield age

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "korero_comments_unsettled",
                "Comments stored but not yet settled (campaign grouping, counts), counted up to 100000.",
            ),
            GaugeMetricFamily(
                "korero_comments_unsettled_oldest_age_seconds",
                "Seconds since the oldest unsettled comment was sent; 0 when every comment is settled.",
            ),
        )


def multiprocess_dir() -> str | None:
    """The folder prometheus_client's multiprocess mode writes to, when it is on."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _metrics_registry(queue_depth: QueueDepthCollector) -> CollectorRegistry:
    if multiprocess_dir():
        # Each worker wrote its own files; add them up into a fresh registry for this scrape.
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it untyped
    else:
        registry = CollectorRegistry()
        registry.register(_DefaultRegistryView())
    registry.register(queue_depth)
    registry.register(SettleBacklogCollector())
    return registry


class _DefaultRegistryView(Collector):
    """The process's default registry (the metrics above) as one collector of a per-scrape registry."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


def _is_direct_loopback() -> bool:
    # A proxy on the same machine also connects from loopback: a request it relayed carries forwarding
    # headers, and is treated as coming from outside.
    if any(header in request.headers for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP")):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _has_metrics_token() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or os.environ.get("METRICS_TOKEN")
    offered = request.headers.get("Authorization", "")
    if not token or not offered.startswith("Bearer "):
        return False
    return hmac.compare_digest(offered.removeprefix("Bearer ").strip().encode(), str(token).encode())


# --- health --------------------------------------------------------------------------------------------


def _check_database() -> None:
    from app.extensions import db

    # Through the request's session (so it goes where every query goes), ended at once: a probe holds nothing.
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        try:
            db.session.rollback()
        except Exception:  # the connection may be what failed
            db.session.remove()


def _check_redis(state: dict[str, Any]) -> None:
    if state.get("redis") is None:
        from redis import Redis

        state["redis"] = Redis.from_url(
            current_app.config["REDIS_URL"], socket_timeout=1.0, socket_connect_timeout=1.0
        )
    state["redis"].ping()


def init_app(app: Flask) -> None:
    """Add /healthz, /readyz and /metrics, request ids, JSON logs and request timing to the app."""
    from flask import Blueprint

    _install_json_logging(app)
    _log_sign_ins(app)
    state: dict[str, Any] = {"queue_depth": QueueDepthCollector(app.config.get("REDIS_URL"))}
    app.extensions[_EXTENSION] = state
    bp = Blueprint("observability", __name__)

    @bp.get("/healthz")
    def healthz() -> Response:
        response = jsonify(status="ok")
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/readyz")
    def readyz() -> Response:
        checks: dict[str, str] = {}
        try:
            _check_database()
            checks["database"] = "ok"
        except Exception as error:  # any failure means "not ready"; the class name says which kind
            app.logger.warning("readiness: database failed: %s", error)
            checks["database"] = f"failed: {type(error).__name__}"
        if app.config.get("REDIS_URL"):
            try:
                _check_redis(state)
                checks["redis"] = "ok"
            except Exception as error:
                app.logger.warning("readiness: redis failed: %s", error)
                checks["redis"] = f"failed: {type(error).__name__}"
        failed = sorted(name for name, result in checks.items() if result != "ok")
        report: dict[str, Any] = {
            "status": "unavailable" if failed else "ok",
            "checks": checks,
            "failed": failed,
        }
        if checks["database"] == "ok":
            # Reported, never a reason to be unready: a backlog is drained by more workers, not fewer instances.
            found = read_backlog()
            if found is not None:
                report["settle_backlog"] = {
                    "unsettled": found.count,
                    "at_least": found.capped,
                    "oldest_age_seconds": round(found.oldest_age(), 3),
                }
        response = jsonify(report)
        response.status_code = 503 if failed else 200
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/metrics")
    def metrics() -> Response:
        if not (_is_direct_loopback() or _has_metrics_token()):
            response = Response("metrics need a bearer token\n", status=401, mimetype="text/plain")
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        body = generate_latest(_metrics_registry(state["queue_depth"]))
        response = Response(body, status=200)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        response.headers["Cache-Control"] = "no-store"
        return response

    app.register_blueprint(bp)

    @app.before_request
    def start_request() -> None:
        g.request_id = _incoming_request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        started = g.get("request_started")
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "<unmatched>"
        if response.status_code in (401, 403):
            security_event("access.refused", status=response.status_code, endpoint=endpoint)
        elif response.status_code == 429:
            security_event("rate_limit.hit", endpoint=endpoint)
        if started is not None and endpoint not in _UNTIMED:
            REQUEST_LATENCY.labels(request.method, endpoint, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response

    # Runs first, so the id exists even when an earlier hook (another extension's) refuses the request.
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(0, hooks.pop(hooks.index(start_request)))
