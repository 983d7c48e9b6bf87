"""What gunicorn serves in the live tests: the real app, with the test's overrides from LIVE_OVERRIDES."""

from __future__ import annotations

import json
import os

from flask import Flask

from app import create_app


def create() -> Flask:
    return create_app(json.loads(os.environ.get("LIVE_OVERRIDES") or "{}"))
