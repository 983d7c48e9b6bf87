"""gunicorn's configuration for Kōrero: `gunicorn -c gunicorn.conf.py wsgi:app` (gunicorn reads this file by itself
when it is started from the repository root).

Every figure comes from the environment, with defaults for the project's 2-core machine; README's configuration
table lists them. Threads, not processes, carry the concurrency: a request mostly waits on PostgreSQL or Redis,
and each process holds its own connection pool, so two processes × four threads keep eight requests in flight on
ten database connections.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"
wsgi_app = "wsgi:app"
proc_name = "korero"

worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", 2)
threads = _int("THREADS", 4)
# A request that takes longer than this is stuck: the worker is killed and replaced (the proxy answers 502).
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (a deploy), workers finish what they are doing for this long before they are stopped.
graceful_timeout = _int("GRACEFUL_TIMEOUT", 20)
keepalive = _int("KEEPALIVE", 5)
# Recycle each worker after this many requests (± jitter, so they do not all restart at once): a slow leak in a
# library never grows without bound.
max_requests = _int("MAX_REQUESTS", 5000)
max_requests_jitter = _int("MAX_REQUESTS_JITTER", 500)
# Which peers may set X-Forwarded-For/-Proto: only the TLS proxy (on this machine by default). The app's ProxyFix
# (see docs/deploy.md) must trust the same number of hops.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"
# The heartbeat file on a RAM disk: a slow disk must never make a healthy worker look dead.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108 - a tmpfs, as gunicorn's docs advise

accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"

# prometheus_client's multiprocess mode: every worker writes its metrics to files in this folder and /metrics adds
# them up. It must be set before any worker imports prometheus_client, so it is set here, in the master, before
# the app is loaded. One folder per gunicorn master; it is emptied when the master starts.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="korero-prometheus-")


def on_starting(server: Any) -> None:
    """Empty the metrics folder: counters from a previous run of the master must not be added again."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges from the metrics (its counters and histograms are kept)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class JsonLogger(Logger):
    """gunicorn's logs as one JSON object a line, like the app's: the access log carries the request id."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        from pythonjsonlogger.json import JsonFormatter

        # The same fields as the app's log lines (app/observability.py), without importing the app in the master.
        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: dt.timedelta) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        line = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "logger": "gunicorn.access",
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or None,
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": atoms.get("{x-request-id}o"),
            "forwarded_for": atoms.get("{x-forwarded-for}i"),
            "user_agent": atoms["a"],
            "pid": os.getpid(),
        }
        try:
            self.access_log.info(json.dumps(line, ensure_ascii=False))
        except Exception:
            logging.getLogger("gunicorn.error").exception("access log line failed")


logger_class = JsonLogger
