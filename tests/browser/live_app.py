"""The app the browser tests' live server runs (gunicorn imports `make_app()` from here).

The configuration arrives as JSON in KORERO_LIVE_CONFIG, written by tests/browser/conftest.py, so the server
process and the tests agree on the database and the secret key.
"""

from __future__ import annotations

import json
import os

from flask import Flask

from app import create_app


def make_app() -> Flask:
    """Build the app from the configuration the browser tests' conftest passed in the environment."""
    return create_app(json.loads(os.environ["KORERO_LIVE_CONFIG"]))
