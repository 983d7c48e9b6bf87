"""`flask users ...`: accounts from the command line; every error is one line, a non-zero exit, no writes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth import services
from app.models import AuditEvent, Role, User
from tests.factories import PASSWORD
from tests.factories import make_user as build_user


def make_user(session, **kw) -> User:
    """A user, committed (to a savepoint of the test's transaction) so a command's rollback keeps it."""
    user = build_user(session, **kw)
    session.commit()
    return user


def user_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def create(runner, email="cli@example.org", name="Cli Person", password=PASSWORD, role=None):
    args = ["users", "create", "--email", email, "--name", name, "--password", password]
    if role is not None:
        args += ["--role", role]
    return runner.invoke(args=args)


def assert_one_line_error(result, text: str) -> None:
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    assert text in lines[0]


def test_create_makes_a_verified_account_with_a_role(runner, session):
    result = create(runner, role="drafter")
    assert result.exit_code == 0, result.output
    assert "Created drafter account cli@example.org." in result.output
    user = services.get_user_by_email(session, "cli@example.org")
    assert user is not None
    assert user.role == Role.DRAFTER.value
    assert user.is_verified


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"email": "not-an-address"}, "like name@example.org"),
        ({"email": "nul\x00@example.org"}, "like name@example.org"),
        ({"password": "short"}, "at least 10 characters"),
        ({"name": "   "}, "Enter a display name."),
        ({"name": "bidi \u202eevil"}, "invisible control characters"),
        ({"role": "overlord"}, "Unknown role 'overlord'. Choose one of: commenter, drafter"),
    ],
)
def test_create_refuses_bad_input_in_one_line(runner, session, kwargs, message):
    result = create(runner, **kwargs)
    assert_one_line_error(result, message)
    assert user_count(session) == 0


def test_create_refuses_a_duplicate(runner, session):
    assert create(runner).exit_code == 0
    result = create(runner, email="CLI@example.org", name="Someone Else")
    assert_one_line_error(result, "already exists")
    assert user_count(session) == 1


def test_set_role(runner, session):
    user = make_user(session)
    result = runner.invoke(args=["users", "set-role", user.email, "moderator"])
    assert result.exit_code == 0, result.output
    assert f"{user.email} is now a moderator." in result.output
    session.refresh(user)
    assert user.role == "moderator"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.set_role"))
    assert event.details == {"previous": "commenter", "role": "moderator"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@example.org", "drafter"], "No account has the email address 'nobody@example.org'."),
        (["{email}", "overlord"], "Unknown role 'overlord'"),
    ],
)
def test_set_role_errors(runner, session, args, message):
    user = make_user(session)
    result = runner.invoke(args=["users", "set-role", *[a.format(email=user.email) for a in args]])
    assert_one_line_error(result, message)
    session.refresh(user)
    assert user.role == Role.COMMENTER.value


def test_suspend_and_unsuspend(runner, session, client):
    user = make_user(session)
    token = user.session_token
    result = runner.invoke(args=["users", "suspend", user.email, "--reason", "spam run"])
    assert result.exit_code == 0, result.output
    session.refresh(user)
    assert user.suspended_at is not None
    assert user.suspended_reason == "spam run"
    assert user.session_token != token
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 403

    result = runner.invoke(args=["users", "unsuspend", user.email])
    assert result.exit_code == 0, result.output
    session.refresh(user)
    assert user.suspended_at is None
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("command", ["suspend", "unsuspend"])
def test_suspend_unknown_account(runner, command):
    assert_one_line_error(runner.invoke(args=["users", command, "nobody@example.org"]), "No account")
