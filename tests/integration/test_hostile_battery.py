"""The generated hostile battery (tests/support/battery.py) over every route, as every kind of person.

A short run here, on each database the suite runs on; `scripts/hostile_battery` runs ≥ 50,000 requests. The
size can be raised with KORERO_BATTERY_REQUESTS.
"""

from __future__ import annotations

import os
import re

import pytest
from flask import g

from app.models import User
from tests.factories import PASSWORD
from tests.integration.test_access_matrix import MATRIX, ROLES, seeded  # noqa: F401 (a fixture)
from tests.support.battery import parameter_names, run_battery

REQUESTS = int(os.environ.get("KORERO_BATTERY_REQUESTS", "1400"))


def sign_in_as(user: User):
    def sign_in(client) -> None:
        g.pop("csrf_token", None)  # see battery._forget_request_state
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        page.close()
        client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}).close()

    return sign_in


@pytest.fixture
def csrf_on(app):
    """CSRF on, as in production; an unhandled error answers 500 (counted) instead of raising into the test."""
    app.config.update(WTF_CSRF_ENABLED=True, PROPAGATE_EXCEPTIONS=False)
    try:
        yield app
    finally:
        app.config.update(WTF_CSRF_ENABLED=False, PROPAGATE_EXCEPTIONS=None)


def test_the_battery_knows_the_parameters_the_app_reads():
    names = parameter_names()
    assert {"next", "before"} <= set(names)  # read by the sign-in form and the keyset pages


def test_no_hostile_request_by_anyone_answers_5xx(csrf_on, session, seeded):  # noqa: F811
    values = seeded.values
    author = session.get_one(User, values["author_id"])
    people = {**seeded.users, "author": author}
    # The admin goes last: what it does (suspending someone) must not keep the others from their turn.
    order = ["anonymous", "commenter", "author", "reviewer", "moderator", "drafter", "admin"]
    clients = {
        who: (csrf_on.test_client(), None if who == "anonymous" else sign_in_as(people[who])) for who in order
    }
    get_urls = [path.format(**values) for _, method, path, _ in MATRIX if method == "GET"]
    post_urls = [path.format(**values) for _, method, path, _ in MATRIX if method == "POST"]
    tally = run_battery(clients, get_urls, post_urls, budget=REQUESTS)
    print(tally.summary())
    assert tally.tried >= REQUESTS
    assert tally.forms >= len(ROLES)  # each identity was shown at least one form to fill
    assert not tally.failures, "\n".join(tally.failures[:30])
