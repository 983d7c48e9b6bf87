"""Real servers for the fault and two-instance tests: gunicorn on a PostgreSQL database of their own, and Redis.

They need PostgreSQL and Redis. They run whenever TEST_DATABASE_URL is set (CI's PostgreSQL pass, where both are
started), and then an unreachable Redis is a failure, not a skip; without TEST_DATABASE_URL (the SQLite pass)
they are skipped with that reason.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
SECRET = "live-test-secret-not-for-production"
PASSWORD = "live test password 2019"
USER_AGENT = "korero-live-test/1"
SKIP_REASON = "needs PostgreSQL and Redis: set TEST_DATABASE_URL (CI's PostgreSQL pass does)"


def server_url() -> str:
    """The PostgreSQL server of TEST_DATABASE_URL, as a libpq URL without a database name."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip(SKIP_REASON)
    url = url.replace("postgresql+psycopg://", "postgresql://").replace("postgres://", "postgresql://")
    return url.rsplit("/", 1)[0]


def worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0)


def redis_url() -> str:
    """A Redis database of these tests' own (one per xdist worker), emptied first."""
    import redis

    url = f"redis://127.0.0.1:6379/{8 + worker_index() % 4}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.RedisError as error:
        pytest.fail(f"TEST_DATABASE_URL is set but Redis is not reachable on 127.0.0.1:6379: {error}")
    return url


_templates: set[str] = set()


def fresh_database(name: str) -> str:
    """Create (or re-create) database `name` on the test server, a copy of a template built once per run."""
    base = server_url()
    template = f"korero_live_template_{worker_index()}"
    if template not in _templates:
        _build(base, template)
        _templates.add(template)
    name = f"{name}_{worker_index()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        )
    return f"{base}/{name}"


def _build(base: str, name: str) -> None:
    """Make database `name`: the schema by the migrations, the drafts imported, the period open, four people."""
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{base}/{name}"
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from pathlib import Path\n"
        "from flask_migrate import upgrade\n"
        "from app import create_app\n"
        "from app.extensions import db\n"
        "from app.drafts.services import import_drafts\n"
        "from app.auth.services import create_user\n"
        "from app.models import Version\n"
        "from app.models.base import utcnow\n"
        "import datetime as dt, sqlalchemy as sa\n"
        "app = create_app({'SQLALCHEMY_DATABASE_URI': sys.argv[2], 'SECRET_KEY': 'x', 'PDF_PRERENDER': False,\n"
        "                  'INSTANCE_PATH': sys.argv[4], 'REDIS_URL': None})\n"
        "with app.app_context():\n"
        "    upgrade()\n"
        "    import_drafts(db.session, Path(sys.argv[1]) / 'policy_drafts')\n"
        "    version = db.session.scalar(sa.select(Version).where(Version.slug == 'consultation-draft'))\n"
        "    version.comments_open_at = utcnow() - dt.timedelta(days=1)\n"
        "    version.comments_close_at = utcnow() + dt.timedelta(days=1)\n"
        "    version.open_when_superseded = True  # later versions supersede it: left open on purpose\n"
        "    for n in range(4):\n"
        "        create_user(db.session, f'person{n}@live.test', f'Person {n}', sys.argv[3], verified=True)\n"
        "    db.session.commit()\n"
    )
    instance = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            "-c",
            script,
            str(ROOT),
            url.replace("postgresql://", "postgresql+psycopg://"),
            PASSWORD,
            str(instance),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """One gunicorn instance (gunicorn.conf.py) of the real app."""

    database_url: str
    redis_url: str | None
    overrides: dict[str, object] = field(default_factory=dict)
    workers: int = 1
    threads: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self, folder: Path) -> Server:
        self.log = folder / f"gunicorn-{self.port}.log"
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": SECRET,
            "KORERO_ENV": "development",
            "KORERO_INSTANCE": str(folder / f"instance-{self.port}"),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(self.workers),
            "THREADS": str(self.threads),
            "GRACEFUL_TIMEOUT": "2",
            "GUNICORN_ACCESS_LOG": str(folder / f"access-{self.port}.log"),
            "PROMETHEUS_MULTIPROC_DIR": str(folder / f"prometheus-{self.port}"),
            # CSRF is tested on its own; here the forms are posted as a script would, with the form stamp.
            "LIVE_OVERRIDES": json.dumps(
                # Comments settle on a thread of the instance (no RQ worker runs beside these servers).
                {
                    "PDF_PRERENDER": False,
                    "WTF_CSRF_ENABLED": False,
                    "COMMENT_JOBS": "thread",
                    "COMMENT_SETTLE_PRESSURE": 0,  # settle at once, however busy the test machine is
                    **self.overrides,
                }
            ),
        }
        env.pop("REDIS_URL", None)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        command = [
            sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--chdir", str(ROOT),
            "--pythonpath", str(Path(__file__).parent), "live_app:create()",
        ]  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = (
            time.monotonic() + 90
        )  # two workers booting on a busy CI machine (the imports alone take seconds)
        while time.monotonic() < deadline:
            probe = Client(self)
            with contextlib.suppress(OSError, http.client.HTTPException):
                if probe.request("GET", "/healthz")[0] == 200:
                    probe.close()
                    return self
            probe.close()
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start:\n{self.log.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: tests need no graceful drain
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


class Client:
    """A browser tab on one server: one keep-alive connection, cookies kept."""

    def __init__(self, server: Server, cookies: dict[str, str] | None = None) -> None:
        self.server = server
        self.cookies = dict(cookies or {})
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        sent = {"Host": "127.0.0.1", "User-Agent": USER_AGENT, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=sent)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value
        return response.status, {k.lower(): v for k, v in response.headers.items()}, text

    def close(self) -> None:
        self.connection.close()

    def __del__(self) -> None:
        # Throwaway clients are common in these tests; their socket closes with them, without a ResourceWarning.
        self.connection.close()

    def on(self, server: Server) -> Client:
        """The same cookies, sent to another server."""
        return Client(server, self.cookies)


def sign_in(server: Server, email: str = "person0@live.test") -> Client:
    client = Client(server)
    status, _, _ = client.request("POST", "/login", {"email": email, "password": PASSWORD})
    assert status in (302, 303), f"sign-in failed: {status}"
    return client


def shown_at() -> str:
    """A comment form's stamp, signed as app.comments.forms.sign_shown_at signs it: shown a minute ago."""
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(SECRET, salt="comment-form-shown-at").dumps(int(time.time() - 60))


VERSION = "/policies/data-protection-and-use-policy/versions/consultation-draft"


def first_clause(database_url: str) -> tuple[str, str]:
    """The consultation draft's first clause key and its section key."""
    with psycopg.connect(database_url) as connection:
        clause, section = connection.execute(
            "SELECT c.key, s.key FROM clauses c JOIN sections s ON s.id = c.section_id JOIN versions v "
            "ON v.id = c.version_id WHERE v.slug = 'consultation-draft' ORDER BY s.position, c.position LIMIT 1"
        ).fetchone()
    return clause, section


def post_comment(client: Client, clause_key: str, text: str) -> tuple[int, str]:
    """Send the comment form; return the status and the Location (a receipt on success)."""
    form = {"body": text, "display_as": "name", "website": "", "shown_at": shown_at()}
    status, headers, _ = client.request("POST", f"{VERSION}/clauses/{clause_key}/comment", form)
    return status, headers.get("location", "")


def stored_bodies(database_url: str, marker: str) -> list[str]:
    with psycopg.connect(database_url) as connection:
        return [
            row[0]
            for row in connection.execute("SELECT body FROM comments WHERE body LIKE %s", (f"%{marker}%",))
        ]


class TcpProxy:
    """A loopback TCP relay that can be stopped (connections cut, port closed) and started again on the same port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        """Like the database going away: the port refuses connections and open ones are cut."""
        if self.listener is not None:
            # shutdown() wakes the accept() blocked in the other thread; close() alone would leave it listening.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self.connections.clear()


def receipt_number(location: str) -> str | None:
    match = re.search(r"/receipts/([A-Z0-9-]+)", location)
    return match.group(1) if match else None
