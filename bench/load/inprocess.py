"""The app on a seeded load database, in this process, and a client signed in to it: what the in-process
load scripts (flatness.py, settle_cost.py) share.

`state` is a `.seeded.json` that bench/load/seed.py wrote. The app has CSRF, rate limits and PDF prerendering
off, and its comment jobs go the production way, to Redis, but to a queue (db 12) that no worker reads: a
script settles them itself after its timing and then empties the queue (`flush_queue`), so the kept counts
stay right and nothing is left for the next run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app import create_app

REDIS = "redis://127.0.0.1:6379/12"


def expect(status: int, wanted: int, what: str) -> None:
    """Stop the script, saying what answered how, unless `status` is `wanted`."""
    if status != wanted:
        raise SystemExit(f"{what}: {status}, expected {wanted}")


def read_state(state: Path) -> dict[str, Any]:
    """What seed.py wrote: the database's URL, the secret key, the accounts and the busiest pages."""
    return json.loads(state.read_text())  # type: ignore[no-any-return]


def load_app(info: dict[str, Any]) -> Flask:
    """The app on the seeded database, its comment jobs queued where no worker takes them."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": info["database_url"].replace("postgresql://", "postgresql+psycopg://"),
            "SECRET_KEY": info["secret_key"],
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PDF_PRERENDER": False,
            "REDIS_URL": REDIS,
            "COMMENT_JOBS": "rq",
        }
    )


def signed_in(app: Flask, email: str, password: str) -> FlaskClient:
    """A test client of `app` signed in as `email`."""
    client = app.test_client()
    expect(client.post("/login", data={"email": email, "password": password}).status_code, 302, "sign in")
    client.get("/")  # the "signed in" message shown, as a browser would: the cookie is then steady
    return client


def flush_queue() -> None:
    """Empty the Redis db the scripts' comment jobs were queued in."""
    import redis

    redis.Redis.from_url(REDIS).flushdb()
