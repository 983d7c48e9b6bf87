"""Accounts through the test client: register, confirm, sign in and out, lockout, resets, the account page."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import re
import smtplib
import time
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import func, select

from app.auth import loader, services, tokens
from app.auth import views as auth_views
from app.mail import send_mail
from app.models import AuditEvent, LoginThrottle, Role, User
from app.models.users import new_session_token
from tests.factories import PASSWORD, login
from tests.factories import make_user as build_user

HOST = "korero.test"
NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"http://korero\.test(/\S+)")


class Outbox:
    """The mail written to instance/outbox/ since the test began."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.before = set(folder.glob("*.eml")) if folder.exists() else set()

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        from app.notify.queue import drain

        drain()  # mail sent through the queue (the password reset) goes out when the worker runs
        found = []
        paths = set(self.folder.glob("*.eml")) if self.folder.exists() else set()
        for path in sorted(paths - self.before):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to is None or message["To"] == to:
                found.append(message)
        return found

    def link(self, to: str) -> str:
        """The path of the one link in the latest message to `to`."""
        messages = self.messages(to)
        assert messages, f"no mail to {to}"
        return LINK.findall(text_of(messages[-1]))[0]


def text_of(message: EmailMessage) -> str:
    return str(message.get_body(("plain",)).get_content())


@pytest.fixture
def outbox(app) -> Outbox:
    return Outbox(Path(app.instance_path) / "outbox")


def make_user(session, **kw) -> User:
    """A user, committed (to a savepoint of the test's transaction) so a view's rollback keeps it."""
    user = build_user(session, **kw)
    session.commit()
    return user


def signed_in(client) -> bool:
    """Whether the client's cookies sign it in (the account page answers instead of redirecting)."""
    return client.get("/account").status_code == 200


def copy_cookies(source, target, names=("session", "remember_token")) -> None:
    for name in names:
        cookie = source.get_cookie(name, domain=HOST)
        if cookie is not None:
            target.set_cookie(name, cookie.value, domain=HOST)


def user_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def register(client, email_address="new@example.org", name="Aroha", password=PASSWORD):
    return client.post("/register", data={"email": email_address, "display_name": name, "password": password})


# --- registering ----------------------------------------------------------------------------------------------


def test_register_page_says_why_each_field_is_asked(client):
    page = client.get("/register")
    assert page.status_code == 200
    assert "We ask for three things only" in page.text
    for field in ("email", "display_name", "password"):
        assert f'aria-describedby="{field}-hint"' in page.text
    assert "We never show it to anyone" in page.text


def test_register_creates_an_unconfirmed_account_and_mails_a_link(client, session, outbox):
    response = register(client, "New@Example.org ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/check-email")
    user = services.get_user_by_email(session, "new@example.org")
    assert user is not None
    assert user.email == "new@example.org"
    assert not user.is_verified
    assert user.role == Role.COMMENTER.value
    assert user.password_hash.startswith("$argon2id$")
    page = client.get(response.headers["Location"])
    assert "Check your email" in page.text
    assert "new@example.org" in page.text
    (message,) = outbox.messages("new@example.org")
    assert "Confirm your email address" in message["Subject"]
    assert signed_in(client)  # a new account is signed in at once (issue 13: registering did not)

    confirmed = client.get(outbox.link("new@example.org"))
    assert confirmed.status_code == 302
    session.refresh(user)
    assert user.is_verified


def test_register_with_a_taken_address_answers_the_same_and_warns_the_owner(client, session, outbox):
    owner = make_user(session, email="taken@example.org", display_name="Owner")
    old_hash = owner.password_hash
    fresh = register(client, "fresh@example.org")
    client.post("/logout")  # the new account was signed in; register the taken address as a visitor again
    taken = register(client, "TAKEN@example.org", name="Impostor", password="another password here")
    assert not signed_in(client)  # a password typed at /register proves nothing about an existing account
    assert taken.status_code == fresh.status_code == 302
    assert taken.headers["Location"] == fresh.headers["Location"]
    assert user_count(session) == 2  # the owner and fresh@, nobody new for taken@
    session.refresh(owner)
    assert owner.display_name == "Owner"
    assert owner.password_hash == old_hash
    (note,) = outbox.messages("taken@example.org")
    assert "tried to register" in note["Subject"]
    assert "/login" in text_of(note)
    assert "/forgot-password" in text_of(note)
    assert "/verify-email/" not in text_of(note)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address", "display_name": "A", "password": PASSWORD}, "like name@example.org"),
        ({"email": "a@example.org", "display_name": "A", "password": "short"}, "at least 10 characters"),
        ({"email": "a@example.org", "display_name": "   ", "password": PASSWORD}, "Enter a display name."),
        ({"email": "", "display_name": "A", "password": PASSWORD}, "Enter your email address"),
        ({"email": "a@example.org", "display_name": "A", "password": ""}, "Enter a password"),
        (
            {"email": "a@example.org", "display_name": "x" * 81, "password": PASSWORD},
            "80 characters or fewer",
        ),
        ({"email": "a@example.org", "display_name": "A", "password": "p" * 257}, "at most 256"),
        # among the most common passwords, or made of the site's words or the person's own (ASVS 5.0 6.2.4)
        ({"email": "a@example.org", "display_name": "A", "password": "password1234"}, "first a guesser"),
        ({"email": "a@example.org", "display_name": "A", "password": "1234567890"}, "first a guesser"),
        ({"email": "a@example.org", "display_name": "A", "password": "koreropolicy"}, "first a guesser"),
        (
            {"email": "wiremu.tane@example.org", "display_name": "Wiremu", "password": "wiremutane1"},
            "first a guesser",
        ),
    ],
)
def test_register_refuses_bad_input_with_a_clear_message(client, session, outbox, data, message):
    response = client.post("/register", data=data)
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error-summary"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert user_count(session) == 0
    assert outbox.messages() == []


@pytest.mark.parametrize(
    "password",
    [
        "tussock river lamp",  # words with spaces
        "Ōtautahi-kererū-2026",  # macrons and any mix of characters, no composition rules (6.2.5)
        "a" * 3 + "q7#Lm" + "z" * 56,  # 64 characters and more are taken whole (6.2.9)
    ],
)
def test_register_takes_a_password_of_any_composition(client, session, outbox, password):
    data = {"email": "any@example.org", "display_name": "Any", "password": password}
    response = client.post("/register", data=data)
    assert response.status_code == 302, response.text
    assert user_count(session) == 1


def test_signed_in_people_are_sent_from_register_to_their_account(client, session):
    login(client, make_user(session))
    assert client.get("/register").headers["Location"].endswith("/account")


# --- confirming the address -----------------------------------------------------------------------------------


def test_confirmation_link_expires_after_three_days(app, client, session):
    user = make_user(session, verified=False)
    made = time.time() - tokens.VERIFY_EMAIL_MAX_AGE - 60
    token = tokens.make_email_token(app.secret_key, user.id, user.email, now=made)
    response = client.get(f"/verify-email/{token}")
    assert response.status_code == 400
    assert "expired" in response.text
    session.refresh(user)
    assert not user.is_verified


def test_confirmation_link_works_until_it_expires(app, client, session):
    user = make_user(session, verified=False)
    made = time.time() - tokens.VERIFY_EMAIL_MAX_AGE + 60
    token = tokens.make_email_token(app.secret_key, user.id, user.email, now=made)
    assert client.get(f"/verify-email/{token}").status_code == 302
    session.refresh(user)
    assert user.is_verified


@pytest.mark.parametrize("mangle", ["altered", "reset-salt", "other-email", "garbage"])
def test_confirmation_link_refuses_forged_tokens(app, client, session, mangle):
    user = make_user(session, verified=False)
    good = tokens.make_email_token(app.secret_key, user.id, user.email)
    token = {
        "altered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "reset-salt": tokens.make_reset_token(app.secret_key, user.id, "x"),
        "other-email": tokens.make_email_token(app.secret_key, user.id, "someone@else.org"),
        "garbage": "<script>alert(1)<\\script>",
    }[mangle]
    response = client.get(f"/verify-email/{token}")
    assert response.status_code == 400
    assert "not valid" in response.text
    assert "<script>alert(1)" not in response.text
    session.refresh(user)
    assert not user.is_verified


def test_account_page_offers_a_new_confirmation_link_until_confirmed(client, session, outbox):
    user = make_user(session, verified=False)
    login(client, user)
    page = client.get("/account")
    assert "Not confirmed yet" in page.text
    assert 'action="/account/verify-email"' in page.text
    response = client.post("/account/verify-email")
    assert response.status_code == 302
    assert len(outbox.messages(user.email)) == 1
    client.get(outbox.link(user.email))
    session.refresh(user)
    assert user.is_verified
    page = client.get("/account")
    assert "Confirmed" in page.text
    assert 'action="/account/verify-email"' not in page.text
    client.post("/account/verify-email")
    assert len(outbox.messages(user.email)) == 1  # nothing more is sent once confirmed


# --- signing in -----------------------------------------------------------------------------------------------


def test_login_page_has_the_fields_the_factories_use(client):
    page = client.get("/login")
    assert page.status_code == 200
    for name in ("email", "password", "remember"):
        assert f'name="{name}"' in page.text
    assert 'autocomplete="current-password"' in page.text


def test_sign_in_and_the_navigation_changes(client, session):
    user = make_user(session, display_name="Mere")
    anonymous = client.get("/")
    assert 'href="/login"' in anonymous.text
    assert 'href="/register"' in anonymous.text
    response = login(client, user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert 'href="/account"' in home.text
    assert 'action="/logout"' in home.text
    assert "Sign out" in home.text
    assert 'href="/login"' not in home.text


def test_account_page_needs_a_sign_in_and_comes_back_after_it(client, session):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    user = make_user(session)
    signed = client.post("/login?next=/account", data={"email": user.email, "password": PASSWORD})
    assert signed.headers["Location"] == "/account"


def test_sign_in_is_case_insensitive_on_the_address(client, session):
    user = make_user(session, email="mixed@example.org")
    response = client.post("/login", data={"email": "  MIXED@Example.org ", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in(client)
    session.refresh(user)


def test_unknown_address_and_wrong_password_get_the_same_answer(client, session, monkeypatch):
    user = make_user(session, email="known@example.org")
    calls = []
    real = services.password_hasher

    class Spy:
        def verify(self, stored, password):
            calls.append(stored)
            return real.verify(stored, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(services, "password_hasher", Spy())
    unknown = client.post("/login", data={"email": "nobody@example.org", "password": "wrong password!"})
    wrong = client.post("/login", data={"email": "known@example.org", "password": "wrong password!"})
    assert unknown.status_code == wrong.status_code == 422
    assert "Email or password is not right." in unknown.text
    normalised = [
        r.text.replace("nobody@example.org", "X").replace("known@example.org", "X") for r in (unknown, wrong)
    ]
    assert normalised[0] == normalised[1]
    # Both paths run argon2: the unknown address against a dummy hash, so timing tells nothing either.
    assert len(calls) == 2
    assert calls[0] != user.password_hash
    assert calls[1] == user.password_hash
    assert not signed_in(client)


def test_remember_me_sets_a_lasting_cookie_only_when_asked(app, session):
    user = make_user(session)
    plain = app.test_client()
    plain.post("/login", data={"email": user.email, "password": PASSWORD})
    assert plain.get_cookie("remember_token", domain=HOST) is None
    remembered = app.test_client()
    remembered.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    cookie = remembered.get_cookie("remember_token", domain=HOST)
    assert cookie is not None
    assert cookie.http_only
    assert cookie.expires is not None
    lifetime = cookie.expires - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=29) < lifetime <= dt.timedelta(days=30, minutes=1)
    # The remember cookie alone (a new browser session) signs in.
    fresh = app.test_client()
    copy_cookies(remembered, fresh, names=("remember_token",))
    assert signed_in(fresh)


def test_suspended_accounts_are_told_and_not_signed_in(client, session):
    user = make_user(session)
    services.suspend(session, user.email, "spam")
    right = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert right.status_code == 403
    assert "suspended" in right.text
    assert not signed_in(client)
    wrong = client.post("/login", data={"email": user.email, "password": "not the password"})
    assert "Email or password is not right." in wrong.text
    assert "suspended" not in wrong.text


def test_suspending_ends_a_live_session(client, session):
    user = make_user(session)
    login(client, user)
    assert signed_in(client)
    services.suspend(session, user.email)
    assert not signed_in(client)


# --- lockout --------------------------------------------------------------------------------------------------


def fail(client, user, times: int) -> None:
    for _ in range(times):
        response = client.post("/login", data={"email": user.email, "password": "not the password"})
        assert response.status_code == 422


def throttle(session, user) -> LoginThrottle | None:
    """The count of wrong passwords for `user` from the test client's one source (127.0.0.1)."""
    session.expire_all()
    return session.scalar(select(LoginThrottle).where(LoginThrottle.user_id == user.id))


def test_five_failures_lock_sign_in_for_fifteen_minutes(client, session, monkeypatch):
    user = make_user(session)
    fail(client, user, 4)
    assert throttle(session, user).failures == 4
    assert throttle(session, user).locked_until is None
    fail(client, user, 1)
    locked_until = throttle(session, user).locked_until
    assert locked_until is not None
    locked_for = locked_until - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=14) < locked_for <= dt.timedelta(minutes=15)

    # Locked: even the right password gets the same generic answer, plus the note about locking.
    refused = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 422
    assert "Email or password is not right." in refused.text
    assert "paused for 15 minutes" in refused.text
    assert not signed_in(client)

    # Sixteen minutes on, the right password works and the count starts again.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    assert login(client, user).status_code == 302
    assert signed_in(client)
    assert throttle(session, user) is None


def test_a_lock_holds_only_for_the_source_that_guessed(app, session):
    """Issue 14 item 11: a stranger's five guesses must not lock the owner out from their own address."""
    user = make_user(session)
    attacker, owner = app.test_client(), app.test_client()
    for _ in range(services.MAX_FAILED_LOGINS):
        attacker.post(
            "/login",
            data={"email": user.email, "password": "not the password"},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )
    locked = attacker.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert locked.status_code == 422  # the guessing source is paused
    allowed = owner.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert allowed.status_code == 302  # the owner, elsewhere, signs in


def test_sources_are_stored_as_keyed_digests_never_addresses(client, session):
    user = make_user(session)
    fail(client, user, 1)
    source = throttle(session, user).source
    assert "127.0.0.1" not in source
    assert source == services.source_digest("test-secret-key-not-for-production", "127.0.0.1")


def test_failed_sign_ins_are_committed_although_the_sign_in_is_refused(client, session):
    """The request boundary rolls back a refused request, except for LoginFailed, which keeps its changes."""
    assert services.LoginFailed.keeps_changes
    assert not services.AccountSuspended.keeps_changes
    user = make_user(session)
    fail(client, user, 5)
    session.rollback()  # whatever was only pending is gone now; the count and the lock were committed
    locked = throttle(session, user)
    assert locked.locked_until is not None
    assert locked.failures == 0  # counting starts afresh after the lock
    locks = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.lock")
    assert session.scalar(locks) == 1


def test_a_suspended_account_signing_in_writes_nothing(client, session):
    user = make_user(session)
    fail(client, user, 2)
    services.suspend(session, user.email)
    session.commit()
    assert login(client, user).status_code == 403
    assert throttle(session, user).failures == 2  # the right password neither counts nor resets


def test_the_lock_note_shows_for_unknown_addresses_too(client):
    response = client.post("/login", data={"email": "nobody@example.org", "password": "whatever it is"})
    assert "paused for 15 minutes" in response.text


def test_a_right_password_resets_the_failure_count(client, session):
    user = make_user(session)
    fail(client, user, 4)
    login(client, user)
    assert throttle(session, user) is None


def test_after_a_lock_runs_out_failures_count_from_zero(session, monkeypatch):
    user = make_user(session)
    for _ in range(5):
        with pytest.raises(services.LoginFailed):
            services.authenticate(session, user.email, "wrong password", "here")
    assert services.is_locked(session, user, "here", dt.datetime.now(dt.UTC))
    assert not services.is_locked(session, user, "elsewhere", dt.datetime.now(dt.UTC))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    with pytest.raises(services.LoginFailed):
        services.authenticate(session, user.email, "wrong password", "here")
    assert throttle(session, user).locked_until is None
    assert throttle(session, user).failures == 1


# --- signing out ----------------------------------------------------------------------------------------------


def test_sign_out_ends_every_session_and_remember_cookie(app, session):
    user = make_user(session)
    first = app.test_client()
    first.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    second = app.test_client()
    copy_cookies(first, second)
    remembered_only = app.test_client()
    copy_cookies(first, remembered_only, names=("remember_token",))
    assert signed_in(second)
    assert signed_in(remembered_only)
    old_token = user.session_token

    response = first.post("/logout")
    assert response.status_code == 302
    assert not signed_in(first)
    assert not signed_in(second)  # the replayed cookie jar is anonymous now
    assert not signed_in(remembered_only)
    session.refresh(user)
    assert user.session_token != old_token


def test_sign_out_needs_a_post(client, session):
    login(client, make_user(session))
    assert client.get("/logout").status_code == 405
    assert signed_in(client)


def test_sign_out_when_not_signed_in_just_goes_home(client):
    assert client.post("/logout").status_code == 302


# --- changing the password ------------------------------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_the_others(app, session):
    user = make_user(session)
    here = app.test_client()
    login(here, user)
    elsewhere = app.test_client()
    copy_cookies(here, elsewhere)
    response = here.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)
    here.post("/logout")
    assert login(here, user).status_code == 422
    assert login(here, user, NEW_PASSWORD).status_code == 302


def test_change_password_keeps_remember_me_for_this_device(app, session):
    user = make_user(session)
    here = app.test_client()
    here.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    here.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    fresh = app.test_client()
    copy_cookies(here, fresh, names=("remember_token",))
    assert signed_in(fresh)


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        ("not the password", NEW_PASSWORD, "current password is not right"),
        (PASSWORD, "short", "at least 10 characters"),
        ("", NEW_PASSWORD, "Enter your current password"),
    ],
)
def test_change_password_refuses_without_changing_anything(client, session, current, new, message):
    user = make_user(session)
    login(client, user)
    before = (user.password_hash, user.session_token)
    response = client.post("/account/password", data={"current_password": current, "new_password": new})
    assert response.status_code == 422
    assert message in response.text
    session.refresh(user)
    assert (user.password_hash, user.session_token) == before
    assert signed_in(client)


# --- forgotten passwords --------------------------------------------------------------------------------------


def test_reset_password_by_mail_once(app, client, session, outbox):
    user = make_user(session)
    other_device = app.test_client()
    login(other_device, user)
    response = client.post("/forgot-password", data={"email": user.email.upper()})
    assert response.status_code == 200
    assert "If" in response.text
    assert user.email.upper() in response.text
    link = outbox.link(user.email)
    assert link.startswith("/reset-password/")

    form = client.get(link)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.text
    done = client.post(link, data={"password": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"] == "/login"
    assert not signed_in(other_device)
    assert login(client, user, NEW_PASSWORD).status_code == 302

    # The link works once.
    client.post("/logout")
    again = client.post(link, data={"password": "yet another passphrase"})
    assert again.status_code == 400
    assert "not valid" in again.text
    assert client.get(link).status_code == 400
    assert login(client, user, NEW_PASSWORD).status_code == 302


def test_forgot_password_answers_the_same_for_unknown_addresses(client, session, outbox):
    make_user(session, email="known@example.org")
    known = client.post("/forgot-password", data={"email": "known@example.org"})
    unknown = client.post("/forgot-password", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("known@", "X@") == unknown.text.replace("nobody@", "X@")
    assert len(outbox.messages("known@example.org")) == 1
    assert outbox.messages("nobody@example.org") == []


def test_reset_link_expires_after_an_hour(app, client, session):
    user = make_user(session)
    fingerprint = tokens.password_fingerprint(user.password_hash, user.session_token)
    made = time.time() - tokens.RESET_PASSWORD_MAX_AGE - 5
    token = tokens.make_reset_token(app.secret_key, user.id, fingerprint, now=made)
    response = client.post(f"/reset-password/{token}", data={"password": NEW_PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.text
    assert login(client, user).status_code == 302  # the old password still works


def test_reset_link_dies_when_the_account_signs_out_everywhere(app, client, session):
    user = make_user(session)
    token = services.reset_token(app.secret_key, user)
    services.end_all_sessions(session, user)
    assert client.get(f"/reset-password/{token}").status_code == 400


def test_reset_lifts_a_lock_and_confirms_the_address(client, session, outbox):
    user = make_user(session, verified=False)
    fail(client, user, 5)
    assert throttle(session, user).locked_until is not None
    client.post("/forgot-password", data={"email": user.email})  # the way in a guesser cannot block
    client.post(outbox.link(user.email), data={"password": NEW_PASSWORD})
    session.refresh(user)
    assert throttle(session, user) is None
    assert user.is_verified
    assert login(client, user, NEW_PASSWORD).status_code == 302


def test_reset_refuses_a_short_password_and_keeps_the_link_usable(app, client, session):
    user = make_user(session)
    token = services.reset_token(app.secret_key, user)
    short = client.post(f"/reset-password/{token}", data={"password": "short"})
    assert short.status_code == 422
    assert "at least 10 characters" in short.text
    assert client.post(f"/reset-password/{token}", data={"password": NEW_PASSWORD}).status_code == 302


def test_suspended_accounts_get_no_reset_mail(client, session, outbox):
    user = make_user(session)
    services.suspend(session, user.email)
    client.post("/forgot-password", data={"email": user.email})
    assert outbox.messages(user.email) == []


# --- the account page -----------------------------------------------------------------------------------------


def test_account_page_shows_details_and_renames(client, session):
    user = make_user(session, role=Role.MODERATOR.value, display_name="Old Name")
    login(client, user)
    page = client.get("/account")
    assert user.email in page.text
    assert "Moderator" in page.text
    assert 'value="Old Name"' in page.text
    assert page.text.count("<h1") == 1
    response = client.post("/account/display-name", data={"display_name": "  New   Name "})
    assert response.status_code == 302
    session.refresh(user)
    assert user.display_name == "New Name"


def test_account_rename_refuses_a_blank_name(client, session):
    user = make_user(session, display_name="Kept")
    login(client, user)
    response = client.post("/account/display-name", data={"display_name": " \t "})
    assert response.status_code == 422
    assert "Enter a display name." in response.text
    session.refresh(user)
    assert user.display_name == "Kept"


def test_account_forms_need_a_sign_in(client):
    for path in ("/account/display-name", "/account/password", "/account/verify-email"):
        response = client.post(path, data={"display_name": "x"})
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


# --- staff links in the navigation ----------------------------------------------------------------------------


def test_staff_links_show_only_for_the_role_and_only_when_the_page_exists(client, session, monkeypatch):
    monkeypatch.setattr(
        auth_views,
        "STAFF_LINKS",
        (
            ("Staff area", "drafts.home", Role.DRAFTER.value),
            ("Missing area", "nowhere.index", Role.DRAFTER.value),
            ("Moderators only", "drafts.home", Role.MODERATOR.value),
        ),
    )
    drafter = make_user(session, role=Role.DRAFTER.value)
    login(client, drafter)
    page = client.get("/account").text
    assert "Staff area" in page
    assert "Missing area" not in page
    assert "Moderators only" not in page


def test_has_endpoint_is_a_template_global(app):
    has_endpoint = app.jinja_env.globals["has_endpoint"]
    with app.test_request_context("/"):
        assert has_endpoint("auth.login")
        assert not has_endpoint("nowhere.index")


def test_admins_see_every_staff_area_that_exists(client, session, monkeypatch):
    monkeypatch.setattr(
        auth_views,
        "STAFF_LINKS",
        (("Drafting", "drafts.home", Role.DRAFTER.value), ("Reviewing", "drafts.home", Role.REVIEWER.value)),
    )
    login(client, make_user(session, role=Role.ADMIN.value))
    page = client.get("/account").text
    assert "Drafting" in page
    assert "Reviewing" in page


# --- demo accounts --------------------------------------------------------------------------------------------


def test_demo_accounts_are_made_once_and_can_sign_in(client, session):
    accounts = services.ensure_demo_accounts(session)
    assert [role for role, _, _ in accounts] == [r.value for r in Role]
    assert services.ensure_demo_accounts(session) == accounts
    assert user_count(session) == len(Role)
    role, address, password = accounts[1]
    response = client.post("/login", data={"email": address, "password": password})
    assert response.status_code == 302
    user = services.get_user_by_email(session, address)
    assert user is not None
    assert user.role == role
    assert user.is_verified


def test_a_new_session_token_is_unguessable_and_unique():
    assert len({new_session_token() for _ in range(50)}) == 50


# --- mail -----------------------------------------------------------------------------------------------------


def test_mail_links_use_public_url_when_set(app, client, session, outbox):
    user = make_user(session)
    app.config["PUBLIC_URL"] = "https://korero.example.org/"
    try:
        client.post("/forgot-password", data={"email": user.email}, headers={"Host": "evil.example"})
        (message,) = outbox.messages(user.email)  # the queue worker builds the link, from PUBLIC_URL
    finally:
        app.config["PUBLIC_URL"] = None
    assert "https://korero.example.org/reset-password/" in text_of(message)
    assert "evil.example" not in message.as_string()


class FakeSMTP:
    sent: ClassVar[list] = []
    fail = False

    def __init__(self, host, port, timeout):
        self.calls = [("connect", host, port)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self, context):
        self.calls.append(("starttls",))

    def login(self, username, password):
        self.calls.append(("login", username, password))

    def send_message(self, message):
        if FakeSMTP.fail:
            raise smtplib.SMTPServerDisconnected("gone")
        FakeSMTP.sent.append((self.calls, message))


def test_mail_goes_through_smtp_when_configured(app, monkeypatch, outbox):
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    settings = {
        "MAIL_SERVER": "smtp.example.org",
        "MAIL_PORT": 2525,
        "MAIL_USERNAME": "u",
        "MAIL_PASSWORD": "p",
    }
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", True)
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    with app.test_request_context("/"):
        assert send_mail("to@example.org", "Kia ora", "Body text")
    ((calls, message),) = FakeSMTP.sent
    assert calls == [("connect", "smtp.example.org", 2525), ("starttls",), ("login", "u", "p")]
    assert message["To"] == "to@example.org"
    assert message["Subject"] == "Kia ora"
    assert outbox.messages() == []  # not written to the outbox as well


def test_a_failed_smtp_send_is_logged_not_raised(app, monkeypatch, caplog):
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(FakeSMTP, "fail", True)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.org")
    with app.test_request_context("/"):
        assert send_mail("to@example.org", "Kia ora", "Body text") is False
    assert "Could not send mail" in caplog.text


def test_header_injection_in_mail_is_refused(app):
    with app.test_request_context("/"), pytest.raises(ValueError, match=r"linefeed|carriage"):
        send_mail("to@example.org\r\nBcc: victim@example.org", "Hi", "Body")


def test_register_shows_every_problem_at_once(client, session):
    response = client.post("/register", data={"email": "bad", "display_name": "", "password": "short"})
    assert response.status_code == 422
    for message in ("like name@example.org", "Enter a display name.", "at least 10 characters"):
        assert message in response.text
    assert response.text.count('aria-invalid="true"') == 3
    assert user_count(session) == 0


# --- how long a session lasts, and what the security log records (ASVS 5.0 7.2.4, 7.3, 14.3.1, 16.3) ---------


def test_an_idle_session_ends_after_twelve_hours(client, session):
    login(client, make_user(session))
    assert client.get("/account").status_code == 200
    with client.session_transaction() as cookie:
        cookie[loader.SEEN_AT] -= loader.IDLE_TIMEOUT + 1
    assert "/login" in client.get("/account").headers["Location"]
    assert "/login" in client.get("/account").headers["Location"]  # and it stays ended


def test_a_busy_session_still_ends_a_week_after_signing_in(client, session):
    login(client, make_user(session))
    with client.session_transaction() as cookie:
        cookie[loader.SIGNED_IN_AT] -= loader.MAX_SESSION_AGE + 1
    assert "/login" in client.get("/account").headers["Location"]


def test_remember_me_starts_a_new_session_when_the_old_one_has_ended(client, session):
    user = make_user(session)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    with client.session_transaction() as cookie:
        cookie[loader.SEEN_AT] -= loader.IDLE_TIMEOUT + 1
    assert client.get("/account").status_code == 200


def test_signing_in_starts_a_new_session(client, session):
    with client.session_transaction() as cookie:
        cookie["planted"] = "by someone else"
    login(client, make_user(session))
    with client.session_transaction() as cookie:
        assert "planted" not in cookie
        assert "_user_id" in cookie


def test_signing_out_asks_the_browser_to_forget_the_signed_in_pages(client, session):
    login(client, make_user(session))
    response = client.post("/logout")
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_the_security_log_records_sign_ins_failures_refusals_and_sign_outs(client, session, caplog):
    user = make_user(session)
    with caplog.at_level(logging.INFO, logger="app.security"):
        client.post("/login", data={"email": user.email, "password": "not the password at all"})
        login(client, user)
        client.get("/moderation")  # a commenter is refused
        client.post("/logout")
    events = [r.security for r in caplog.records if r.name == "app.security"]
    assert [e["event"] for e in events] == [
        "auth.sign_in_failed",
        "auth.signed_in",
        "access.refused",
        "auth.signed_out",
    ]
    assert events[1]["user_id"] == user.id
    assert events[2]["user_id"] == user.id
    assert all(e["client"] and e["path"] for e in events)
    logged = " ".join(str(e) for e in events)
    assert user.email not in logged
    assert "not the password" not in logged


def test_forgot_password_does_the_same_work_for_known_and_unknown_addresses(client, session):
    """Issue 14 item 10: no look-up in the request, only one queued row, whatever the address (not timed: the
    statements the request runs are compared, and they are the same)."""
    from sqlalchemy import event

    from app.extensions import db
    from app.models import OutboxMessage

    make_user(session, email="known@example.org")
    session.commit()

    def statements(address: str) -> list[str]:
        seen: list[str] = []

        def record(_conn, _cursor, statement, _params, _context, _many):
            seen.append(re.sub(r"sa_savepoint_\d+", "savepoint", statement))

        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.post("/forgot-password", data={"email": address}).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return seen

    known = statements("known@example.org")
    unknown = statements("nobody@example.org")
    assert known == unknown
    assert not any("FROM users" in statement for statement in known)
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "password_reset")).all()
    queued = sorted(row.payload["email"] for row in rows)
    assert queued.count("known@example.org") == queued.count("nobody@example.org") == 1
