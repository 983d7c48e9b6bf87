"""Drive the real app under gunicorn with wrk, beside a bare Flask ceiling in the same run; print a table, draw a chart.

    .venv/bin/python bench/load/seed.py --comments 20000        # once (1,000,000 for the real figures)
    .venv/bin/python bench/load/run.py [--duration 10] [--connections 16] [--burst 5000] [--results FILE]

Both servers run `gunicorn -c gunicorn.conf.py` with 2 gthread workers × 4 threads on loopback: the real app on
the seeded PostgreSQL database with REDIS_URL set (rate limits off: 16 posters from one account would be
throttled, which is the limits working, not the site), and a bare Flask app that answers the busiest section
page pre-rendered (the same bytes). wrk (apt-get install wrk) sends the load; a Lua script adds the session cookie
for signed-in requests and builds comment POSTs with a real CSRF token and form stamp. Every loop is bounded in
time and count, and every address is 127.0.0.1.

Scenarios (each --duration seconds unless said):
  bare page                        the ceiling: pre-rendered bytes through the same server
  section page, anonymous          busiest section, page cache warm, no writes              ÷ bare
  section page, signed in          a signed-in reader with no comments there (member copy)  ÷ bare
  ..., own comments on it          the poster, after posting: their clause's block is theirs ÷ bare
  anonymous while 10 / 50 posts/s  the anonymous page while Python posters send at a fixed rate ÷ no writes
  comments accepted, 16 posters    wrk POSTs on the busiest clause; 303s to a receipt per second
                                   ÷ raw INSERT+COMMIT rows/s on 16 connections in the same run
  burst of N comments              16 threads send N comments once (stop sending after --burst-seconds);
                                   acknowledged vs stored, duplicates, 5xx
  compare page, uncached           signed in, a new query string each request (so always rendered), one connection
  moderator hide                   hide 3 published comments on the busiest clause, one at a time
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
STATE = HERE / ".seeded.json"
USER_AGENT = "korero-load/1"  # the same for Python and wrk: Flask-Login's strong session protection checks it
WORDS = [
    "data",
    "people",
    "agencies",
    "trust",
    "consent",
    "share",
    "collect",
    "purpose",
    "value",
    "whanau",
    "iwi",
    "community",
    "privacy",
]


# --- what gunicorn serves -------------------------------------------------------------------------------


def server_app() -> Any:
    """The real app (with the harness's overrides) or the bare page, per BENCH_MODE; gunicorn imports it."""
    if os.environ.get("BENCH_MODE") == "bare":
        from flask import Flask

        body = Path(os.environ["BENCH_BODY"]).read_bytes()
        bare = Flask("bare")
        bare.add_url_rule("/page", "page", lambda: (body, 200, {"Content-Type": "text/html; charset=utf-8"}))
        bare.add_url_rule("/healthz", "healthz", lambda: "ok")
        return bare
    sys.path.insert(0, str(ROOT))
    from app import create_app

    return create_app(json.loads(os.environ.get("BENCH_OVERRIDES", "{}")))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def gunicorn(mode: str, env: dict[str, str], logs: Path) -> Iterator[int]:
    """Start gunicorn (gunicorn.conf.py: 2 workers × 4 threads) on a free loopback port until the block ends."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--chdir", str(ROOT),
        "--pythonpath", f"{HERE},{ROOT}", "run:server_app()",
    ]  # fmt: skip
    environment = {
        **os.environ,
        **env,
        "BENCH_MODE": mode,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "THREADS": "4",
        "GUNICORN_ACCESS_LOG": str(logs / f"{mode}-access.log"),
        "PROMETHEUS_MULTIPROC_DIR": str(logs / f"{mode}-prometheus"),
    }
    with (logs / f"{mode}.log").open("w") as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = Browser(port).request("GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn ({mode}) did not start: see {logs / f'{mode}.log'}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def rq_workers(env: dict[str, str], logs: Path, count: int = 2) -> Iterator[None]:
    """RQ workers for the comments' deferred work (grouping, counts): SimpleWorker, so the app is made once."""
    command = [
        sys.executable, "-m", "rq.cli", "worker", "-w", "rq.worker.SimpleWorker", "--url", env["REDIS_URL"],
        "korero-comments",
    ]  # fmt: skip
    processes = []
    for n in range(count):
        with (logs / f"rq-{n}.log").open("w") as log:
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own fixed command line
                    command, env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
                )
            )
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def unsettled(url: str) -> int:
    """How many comments wait to be settled (grouping and counts held back or not yet run)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        return int(connection.execute("SELECT count(*) FROM comments WHERE NOT processed").fetchone()[0])


def drain(url: str, seconds: float = 600) -> int:
    """Wait (bounded) until no comment waits to be settled; return how many still wait."""
    deadline = time.monotonic() + seconds
    while True:
        waiting = unsettled(url)
        if not waiting or time.monotonic() > deadline:
            return waiting
        time.sleep(0.5)


# --- a browser tab ---------------------------------------------------------------------------------------


class Browser:
    """One keep-alive connection with cookies."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies = dict(cookies or {})

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, keep_cookies: bool = True
    ) -> tuple[int, str, str]:
        headers = {"Host": "127.0.0.1", "User-Agent": USER_AGENT}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()  # reconnect once: the server may have closed a kept-alive connection
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in (response.headers.get_all("Set-Cookie") or []) if keep_cookies else []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, response.headers.get("Location", ""), text

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def csrf_from(html: str) -> str:
    match = re.search(r'name="(?:[a-z]+-)?csrf_token"[^>]*value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def signed_in(port: int, email: str, password: str) -> Browser:
    browser = Browser(port)
    _, _, page = browser.request("GET", "/login")
    status, _, _ = browser.request(
        "POST", "/login", {"email": email, "password": password, "csrf_token": csrf_from(page)}
    )
    if status not in (302, 303):
        raise RuntimeError(f"sign-in as {email} failed: {status}")
    browser.request(
        "GET", "/"
    )  # show the "signed in" message once, as a browser does; then the cookie is steady
    return browser


# --- wrk -------------------------------------------------------------------------------------------------

LUA_COMMON = r"""
local threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end
function init(args)
  statuses = {}
  counter = 0
  math.randomseed(tid * 7919 + os.time())
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do counts[tostring(k)] = (counts[tostring(k)] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(counts) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d, "timeouts": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write, e.timeout, table.concat(parts, ", ")))
end
"""

LUA_GET = r"""
wrk.headers["User-Agent"] = "{ua}"
{cookie}
"""

# Each request a new query string: a new page-cache key, so every request renders (the uncached cost).
LUA_GET_FRESH = r"""
wrk.headers["User-Agent"] = "{ua}"
{cookie}
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "?fresh=" .. tid .. "-" .. counter)
end
"""

LUA_POST = r"""
wrk.method = "POST"
wrk.headers["User-Agent"] = "{ua}"
wrk.headers["Cookie"] = "{cookie}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local words = {{{words}}}
request = function()
  counter = counter + 1
  local text = {{}}
  for i = 1, 30 do text[i] = words[math.random(#words)] end
  local body = "csrf_token={csrf}&display_as=name&website=&shown_at={shown}&body="
    .. table.concat(text, "+") .. "+%28wrk-{run}-" .. tid .. "-" .. counter .. "%29."
  return wrk.format(nil, nil, nil, body)
end
"""


@dataclass
class Measure:
    what: str
    rps: float | None
    p50_ms: float | None
    p99_ms: float | None
    baseline: str = ""
    ratio: float | None = None
    note: str = ""
    statuses: dict[str, int] = field(default_factory=dict)


def wrk(port: int, path: str, script: str, seconds: float, connections: int, folder: Path) -> dict[str, Any]:
    lua = folder / f"wrk-{time.monotonic_ns()}.lua"
    lua.write_text(script + LUA_COMMON)
    threads = max(1, min(2, connections))
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
        "-s", str(lua), f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 90, check=True)  # noqa: S603
    line = next(row for row in done.stdout.splitlines() if row.startswith("WRKJSON "))
    result: dict[str, Any] = json.loads(line.removeprefix("WRKJSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def get_script(cookie: str | None = None, fresh: bool = False) -> str:
    header = f'wrk.headers["Cookie"] = "{cookie}"' if cookie else ""
    return (LUA_GET_FRESH if fresh else LUA_GET).format(ua=USER_AGENT, cookie=header)


def measured(what: str, result: dict[str, Any], ok: str = "200", note: str = "") -> Measure:
    good = result["statuses"].get(ok, 0)
    others = {k: v for k, v in result["statuses"].items() if k != ok}
    extra = f"{good:,} × {ok}" + (f"; others {others}" if others else "")
    if result["errors"] or result["timeouts"]:
        extra += f"; socket errors {result['errors']}, timeouts {result['timeouts']}"
    return Measure(
        what,
        good / (result["duration_us"] / 1e6),
        result["p50_us"] / 1000,
        result["p99_us"] / 1000,
        note=(note + "; " if note else "") + extra,
        statuses=result["statuses"],
    )


# --- Python posters (fixed rate, and the burst) ----------------------------------------------------------


class Poster:
    """Sends comment POSTs on one signed-in connection."""

    def __init__(self, port: int, cookies: dict[str, str], form_path: str, csrf: str, shown_at: str) -> None:
        self.browser = Browser(port, cookies)
        self.form_path, self.csrf, self.shown_at = form_path, csrf, shown_at

    def post(self, marker: str, rng: random.Random) -> tuple[int, str, float]:
        body = " ".join(rng.choice(WORDS) for _ in range(30)) + f" ({marker})."
        form = {
            "csrf_token": self.csrf,
            "body": body,
            "display_as": "name",
            "website": "",
            "shown_at": self.shown_at,
        }
        started = time.perf_counter()
        try:
            # The cookie stays as it was: a browser follows the 303 to the receipt, which shows (and so drops)
            # the "thank you" message the POST put in the session. Keeping the POST's cookie without that GET
            # would pile one message a post into the session, and every later POST would carry them all.
            status, location, _ = self.browser.request("POST", self.form_path, form, keep_cookies=False)
        except (http.client.HTTPException, OSError):
            return 0, "", time.perf_counter() - started
        return status, location, time.perf_counter() - started


def fixed_rate_posters(make_poster: Any, rate: float, seconds: float, stop_after: float) -> dict[str, Any]:
    """Post `rate` comments a second for `seconds` from a pool of threads; report how far behind they fell."""
    total = int(rate * seconds)
    start = time.monotonic() + 0.5
    lock = threading.Lock()
    taken = [0]
    lags: list[float] = []
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def work(n: int) -> None:
        poster, rng = make_poster(), random.Random(n)
        while True:
            with lock:
                index = taken[0]
                taken[0] += 1
            if index >= total:
                return
            due = start + index / rate
            if time.monotonic() > start + stop_after:
                return
            time.sleep(max(0.0, due - time.monotonic()))
            lag = time.monotonic() - due
            status, _, latency = poster.post(f"rate-{rate:g}-{index}-{os.getpid()}", rng)  # unique per run
            with lock:
                lags.append(lag)
                latencies.append(latency)
                statuses[status] = statuses.get(status, 0) + 1

    workers = [
        threading.Thread(target=work, args=(n,), daemon=True) for n in range(min(16, max(2, int(rate))))
    ]
    for worker in workers:
        worker.start()
    return {"threads": workers, "lags": lags, "latencies": latencies, "statuses": statuses, "total": total}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- the run ----------------------------------------------------------------------------------------------


def raw_insert_rate(url: str, version_id: int, clause_id: int, seconds: float, connections: int) -> float:
    """Rows/s of one-row INSERT+COMMIT of comment rows on `connections` connections (then deleted)."""
    import psycopg

    counts = [0] * connections
    deadline = time.monotonic() + seconds
    marker = f"raw-{os.getpid()}-{time.time_ns()}"

    def work(n: int) -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            while time.monotonic() < deadline:
                counts[n] += 1
                connection.execute(
                    "INSERT INTO comments (tracking_number, version_id, clause_id, body, body_html, display_as, "
                    "author_verified, fingerprint_hash, state, report_count, reply_count, created_at) VALUES "
                    "(%s, %s, %s, %s, %s, 'name', true, md5(%s), 'published', 0, 0, now())",
                    (
                        f"KR-RAW{n:02d}{counts[n]:07d}"[:16],
                        version_id,
                        clause_id,
                        marker,
                        marker,
                        f"{n}-{counts[n]}",
                    ),
                )

    threads = [threading.Thread(target=work, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DELETE FROM comments WHERE body = %s", (marker,))
    return sum(counts) / seconds


def run(args: argparse.Namespace) -> list[Measure]:
    import psycopg

    info = json.loads(STATE.read_text())
    url = info["database_url"]
    logs = Path(tempfile.mkdtemp(prefix="korero-load-"))
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": info["secret_key"],
        "KORERO_ENV": "development",
        "KORERO_INSTANCE": str(logs / "instance"),
        "BENCH_OVERRIDES": json.dumps({"RATELIMIT_ENABLED": False, "PDF_PRERENDER": False}),
    }
    seconds, connections = args.duration, args.connections
    results: list[Measure] = []
    print(
        f"{info['comments']:,} comments seeded; busiest clause {info['hot_clause_published']:,} published; logs in {logs}"
    )
    import redis

    redis.Redis.from_url(
        args.redis_url
    ).flushdb()  # the harness's own Redis database: no jobs of an earlier run
    with rq_workers(env, logs), gunicorn("app", env, logs) as app_port:
        anonymous = Browser(app_port)
        for _ in range(3):  # warm the page cache and the workers
            status, _, page = anonymous.request("GET", info["section_path"])
            if status != 200:
                raise RuntimeError(f"section page: {status}")
        body_file = logs / "page.html"
        body_file.write_text(page, encoding="utf-8")
        print(f"section page {len(page.encode()):,} bytes")
        with gunicorn("bare", {**env, "BENCH_BODY": str(body_file)}, logs) as bare_port:
            bare = measured(
                "bare page (ceiling)", wrk(bare_port, "/page", get_script(), seconds, connections, logs)
            )
        results.append(bare)

        def versus(measure: Measure, base: Measure) -> Measure:
            measure.baseline = base.what
            if measure.rps is not None and base.rps:
                measure.ratio = measure.rps / base.rps
            return measure

        page_anon = versus(
            measured(
                "section page, anonymous",
                wrk(app_port, info["section_path"], get_script(), seconds, connections, logs),
            ),
            bare,
        )
        results.append(page_anon)

        # A signed-in reader who has not commented on the section (most signed-in readers): the member copy,
        # made by the first such request and warmed as the anonymous copy was (a page served for hours is warm).
        reader = signed_in(app_port, info.get("reader", info["commenter"]), info["password"])
        for _ in range(3):
            reader.request("GET", info["section_path"])
        results.append(
            versus(
                measured(
                    "section page, signed in",
                    wrk(
                        app_port,
                        info["section_path"],
                        get_script(reader.cookie_header()),
                        seconds,
                        connections,
                        logs,
                    ),
                ),
                bare,
            )
        )
        poster = signed_in(app_port, info["commenter"], info["password"])
        cookie = poster.cookie_header()
        status, _, form_page = poster.request("GET", info["form_path"])
        if status != 200:
            raise RuntimeError(f"comment form: {status}")
        csrf = csrf_from(form_page)
        sys.path.insert(0, str(ROOT))
        from itsdangerous import URLSafeSerializer

        # The form's stamp, signed as app.comments.forms.sign_shown_at signs it: shown a minute ago.
        shown_at = URLSafeSerializer(info["secret_key"], salt="comment-form-shown-at").dumps(
            int(time.time() - 60)
        )

        def make_poster() -> Poster:
            return Poster(app_port, poster.cookies, info["form_path"], csrf, shown_at)

        for rate in args.rates:
            background = fixed_rate_posters(make_poster, rate, seconds, stop_after=seconds)
            measure = measured(
                f"anonymous while {rate:g} comments/s posted",
                wrk(app_port, info["section_path"], get_script(), seconds, connections, logs),
            )
            for thread in background["threads"]:
                thread.join(timeout=60)
            sent = len(background["latencies"])
            acked = background["statuses"].get(303, 0)
            measure.note += (
                f"; posters sent {sent}/{background['total']} ({acked} acknowledged), post p99 "
                f"{percentile(background['latencies'], 0.99) * 1000:.0f} ms, fell behind by up to "
                f"{max(background['lags'] or [0]):.1f} s"
            )
            measure.note += f"; {unsettled(url):,} comments waiting to be settled at the end"
            results.append(versus(measure, page_anon))

        # The poster now has comments on the busiest clause (the fixed-rate posts): that clause's block is theirs.
        results.append(
            versus(
                measured(
                    "section page, signed in, own comments on it",
                    wrk(app_port, info["section_path"], get_script(cookie), seconds, connections, logs),
                ),
                bare,
            )
        )

        run_id = f"{os.getpid()}x{int(time.time())}"
        post_script = LUA_POST.format(
            ua=USER_AGENT,
            cookie=cookie,
            words=", ".join(f'"{w}"' for w in WORDS),
            csrf=quote_plus(csrf),
            shown=quote_plus(shown_at),
            run=run_id,
        )
        accepted = measured(
            f"comments accepted, {connections} posters",
            wrk(app_port, info["form_path"], post_script, seconds, connections, logs),
            ok="303",
        )
        raw = raw_insert_rate(url, info["version_id"], info["hot_clause_id"], min(seconds, 5), connections)
        accepted.baseline = f"raw INSERT+COMMIT, {connections} connections ({raw:,.0f} rows/s)"
        accepted.ratio = (accepted.rps or 0) / raw if raw else None
        accepted.note += f"; {unsettled(url):,} comments waiting to be settled at the end"
        results.append(accepted)

        results.append(burst(app_port, make_poster, url, args, connections))

        compare_browser = signed_in(app_port, info["commenter"], info["password"])
        compare = measured(
            "compare page, uncached (signed in, a new URL each time, 1 connection)",
            wrk(
                app_port,
                info["compare_path"],
                get_script(compare_browser.cookie_header(), fresh=True),
                seconds,
                1,
                logs,
            ),
        )
        results.append(compare)

        results.append(moderator_hides(app_port, info, url))
        started = time.monotonic()
        waiting = drain(url)
        print(f"comment jobs drained in {time.monotonic() - started:.1f} s ({waiting} still waiting)")
        with psycopg.connect(url) as connection:
            recount = connection.execute(
                "SELECT comment_count, (SELECT count(*) FROM comments WHERE clause_id = %s AND state = 'published') "
                "FROM clauses WHERE id = %s",
                (info["hot_clause_id"], info["hot_clause_id"]),
            ).fetchone()
        print(f"busiest clause after the run: kept count {recount[0]:,}, recount {recount[1]:,}")
    shutil.rmtree(logs / "app-prometheus", ignore_errors=True)
    return results


def burst(port: int, make_poster: Any, url: str, args: argparse.Namespace, connections: int) -> Measure:
    """Send --burst comments from `connections` threads; compare what was acknowledged with what was stored."""
    import psycopg

    marker = f"burst-{os.getpid()}x{int(time.time())}"
    with psycopg.connect(url) as connection:
        before = connection.execute("SELECT coalesce(max(id), 0) FROM comments").fetchone()[0]
    lock = threading.Lock()
    taken = [0]
    acked: list[int] = []
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.monotonic()
    deadline = started + args.burst_seconds

    def work(n: int) -> None:
        poster, rng = make_poster(), random.Random(n)
        while time.monotonic() < deadline:
            with lock:
                index = taken[0]
                taken[0] += 1
            if index >= args.burst:
                return
            status, location, latency = poster.post(f"{marker}-{index}", rng)
            with lock:
                latencies.append(latency)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 303 and "/receipts/" in location:
                    acked.append(index)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    with psycopg.connect(url) as connection:
        bodies = [
            row[0]
            for row in connection.execute(
                "SELECT body FROM comments WHERE id > %s AND body LIKE %s", (before, f"%({marker}-%")
            )
        ]
    stored = [int(re.search(rf"\({marker}-(\d+)\)", body).group(1)) for body in bodies]  # type: ignore[union-attr]
    lost = set(acked) - set(stored)
    duplicates = len(stored) - len(set(stored))
    server_errors = sum(v for k, v in statuses.items() if k >= 500)
    sent = len(latencies)
    return Measure(
        f"burst of {args.burst:,} comments",
        len(acked) / elapsed,
        percentile(latencies, 0.5) * 1000,
        percentile(latencies, 0.99) * 1000,
        note=(
            f"sent {sent:,} in {elapsed:.0f} s (cap {args.burst_seconds:g} s), acknowledged {len(acked):,}, "
            f"stored {len(stored):,}, acknowledged but missing {len(lost)}, duplicates {duplicates}, "
            f"5xx {server_errors}, statuses {dict(sorted(statuses.items()))}"
        ),
    )


def moderator_hides(port: int, info: dict[str, Any], url: str, count: int = 3) -> Measure:
    """Hide `count` published comments on the busiest clause, one at a time, as a moderator."""
    import psycopg

    moderator = signed_in(port, info["moderator"], info["password"])
    status, _, page = moderator.request("GET", "/moderation")
    csrf = csrf_from(page)
    with psycopg.connect(url) as connection:
        numbers = [
            row[0]
            for row in connection.execute(
                "SELECT tracking_number FROM comments WHERE clause_id = %s AND state = 'published' AND parent_id IS "
                "NULL AND campaign_group_id IS NULL ORDER BY id DESC LIMIT %s",
                (info["hot_clause_id"], count),
            )
        ]
    times, statuses = [], []
    for number in numbers:
        started = time.perf_counter()
        status, _, _ = moderator.request(
            "POST",
            f"/moderation/comments/{number}/hide",
            {"hide-csrf_token": csrf, "csrf_token": csrf, "hide-reason": "Load test: off topic."},
        )
        times.append(time.perf_counter() - started)
        statuses.append(status)
    return Measure(
        "moderator hide on the busiest clause",
        None,
        statistics.median(times) * 1000,
        max(times) * 1000,
        note=f"{len(times)} hides one at a time, statuses {statuses} (p99 column: the slowest)",
    )


# --- output ----------------------------------------------------------------------------------------------


def table(results: list[Measure]) -> str:
    def number(value: float | None, digits: int = 1) -> str:
        return "–" if value is None or value != value else f"{value:,.{digits}f}"  # noqa: PLR0124 - NaN test

    lines = [
        "| what | req/s | p50 ms | p99 ms | ratio to its baseline | baseline |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for m in results:
        ratio = "–" if m.ratio is None else f"{m.ratio:.3f} ×"
        lines.append(
            f"| {m.what} | {number(m.rps)} | {number(m.p50_ms)} | {number(m.p99_ms)} | {ratio} | {m.baseline or '–'} |"
        )
    lines.append("")
    lines.extend(f"- {m.what}: {m.note}" for m in results if m.note)
    return "\n".join(lines)


def chart(results: list[Measure], path: Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install -e '.[bench]'): no chart"
    rows = [m for m in results if m.p50_ms is not None]
    names = [m.what for m in rows]
    figure, axis = plt.subplots(figsize=(10, 0.5 * len(rows) + 1.5))
    positions = range(len(rows))
    axis.barh([p + 0.2 for p in positions], [m.p50_ms for m in rows], height=0.4, label="p50")
    axis.barh([p - 0.2 for p in positions], [m.p99_ms for m in rows], height=0.4, label="p99")
    axis.set_yticks(list(positions), names)
    axis.invert_yaxis()
    axis.set_xscale("log")
    axis.set_xlabel("latency, ms (log scale)")
    axis.set_title("Kōrero under load: gunicorn 2 × 4 gthread, wrk, loopback")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return f"chart: {path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, metavar="N", help="seed N comments first (bench/load/seed.py)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--rates", type=float, nargs="*", default=[10, 50], help="comments/s beside the readers"
    )
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument(
        "--burst-seconds", type=float, default=60, help="stop sending the burst after this long"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--chart", type=Path, default=HERE / "latency.png")
    parser.add_argument("--results", type=Path, help="also write the table (Markdown) to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if args.seed:
        subprocess.run([sys.executable, str(HERE / "seed.py"), "--comments", str(args.seed)], check=True)  # noqa: S603
    if not STATE.exists():
        raise SystemExit("nothing seeded yet: run bench/load/seed.py first (or pass --seed N)")
    started = time.monotonic()
    results = run(args)
    text = table(results)
    print()
    print(text)
    print(chart(results, args.chart))
    print(f"whole run: {time.monotonic() - started:.0f} s")
    if args.results:
        info = json.loads(STATE.read_text())
        header = (
            f"# Load harness results\n\n`bench/load/run.py --duration {args.duration:g} --connections "
            f"{args.connections} --burst {args.burst}` on {info['comments']:,} seeded comments (busiest clause "
            f"{info['hot_clause_published']:,} published; seeded in {info['seconds']} s, COPY "
            f"{info.get('copy_seconds', '?')} s; {info['comments_table_bytes'] / info['comments']:.0f} bytes a "
            f"comment with indexes), 2 cores, gunicorn 2 × 4 gthread, PostgreSQL + Redis on loopback.\n\n"
        )
        args.results.write_text(header + text + "\n")


if __name__ == "__main__":
    main()
