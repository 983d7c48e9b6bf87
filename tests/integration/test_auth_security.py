"""Accounts under attack: CSRF, rate limits, hostile input in every field, open redirects."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from app import create_app
from app.auth import services
from app.exceptions import InputError
from app.extensions import db, limiter
from app.models import User
from tests.conftest import test_config as config_for_tests
from tests.factories import PASSWORD, login
from tests.factories import make_user as build_user
from tests.hostile import load_payloads

HOST = "korero.test"
PAYLOADS = load_payloads()
PAYLOAD_IDS = [f"{p['category']}-{i}" for i, p in enumerate(PAYLOADS)]
REDIRECTS = [p["payload"] for p in PAYLOADS if p["category"] == "redirect"] + [
    "https://evil.example/",
    "//evil.example/path",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",
    " //evil.example",
    "http:/evil.example",
]
MARKUP = set("<>\"'&")


def make_user(session, **kw) -> User:
    user = build_user(session, **kw)
    session.commit()
    return user


def user_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def post_form(client, path: str, data: dict[str, str]):
    """POST exactly the bytes a browser would send, lone surrogates included (as their raw UTF-8 bytes)."""
    body = urlencode(data, encoding="utf-8", errors="surrogatepass")
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded")


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def assert_inert(text: str, payload: str) -> None:
    """A payload holding markup characters never appears unescaped in a page."""
    if MARKUP & set(payload):
        assert payload not in text


# --- CSRF -----------------------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield app
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def csrf_token_in(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def forged_token() -> str:
    return URLSafeTimedSerializer("not-our-secret", salt="wtf-csrf-token").dumps("0" * 40)


def sign_in_with_csrf(client, user) -> None:
    token = csrf_token_in(client.get("/login").text)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_sign_in_works_with_csrf_on(csrf_app, session):
    client = csrf_app.test_client()
    sign_in_with_csrf(client, make_user(session))
    assert signed_in(client)


@pytest.mark.parametrize("token", [None, "forged", "other-key"])
def test_login_without_a_good_csrf_token_is_refused(csrf_app, session, token):
    user = make_user(session)
    client = csrf_app.test_client()
    data = {"email": user.email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = "forged" if token == "forged" else forged_token()
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert "Your form expired or was not sent from this site" in response.text
    assert not signed_in(client)


@pytest.mark.parametrize("token", [None, "forged", "other-key"])
def test_logout_without_a_good_csrf_token_changes_nothing(csrf_app, session, token):
    user = make_user(session)
    client = csrf_app.test_client()
    sign_in_with_csrf(client, user)
    before = user.session_token
    data = {} if token is None else {"csrf_token": "forged" if token == "forged" else forged_token()}
    assert client.post("/logout", data=data).status_code == 400
    session.refresh(user)
    assert user.session_token == before
    assert signed_in(client)


def test_logout_with_the_page_token_works(csrf_app, session):
    client = csrf_app.test_client()
    sign_in_with_csrf(client, make_user(session))
    token = csrf_token_in(client.get("/").text)  # the sign-out button in the navigation
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not signed_in(client)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/account/password", {"current_password": PASSWORD, "new_password": "a whole new password"}),
        ("/account/display-name", {"display_name": "Hijacked"}),
        ("/account/verify-email", {}),
    ],
)
def test_account_forms_refuse_forged_csrf(csrf_app, session, path, data):
    user = make_user(session, display_name="Kept", verified=False)
    client = csrf_app.test_client()
    sign_in_with_csrf(client, user)
    before = (user.password_hash, user.session_token, user.display_name)
    outbox = Path(csrf_app.instance_path) / "outbox"
    mails_before = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
    response = client.post(path, data={**data, "csrf_token": forged_token()})
    assert response.status_code == 400
    session.refresh(user)
    assert (user.password_hash, user.session_token, user.display_name) == before
    assert (len(list(outbox.glob("*.eml"))) if outbox.exists() else 0) == mails_before


@pytest.mark.parametrize("path", ["/register", "/forgot-password"])
def test_anonymous_forms_refuse_a_missing_csrf_token(csrf_app, session, path):
    client = csrf_app.test_client()
    data = {"email": "csrf@example.org", "display_name": "C", "password": PASSWORD}
    assert client.post(path, data=data).status_code == 400
    assert user_count(session) == 0


# --- rate limits ----------------------------------------------------------------------------------------------


@pytest.fixture
def limited_client(database):
    """A client of an app with rate limits on (the shared test app has them off)."""
    tmp_dir, url = database
    previous = limiter.enabled
    limited = create_app({**config_for_tests(tmp_dir, url), "RATELIMIT_ENABLED": True})
    limiter.reset()
    try:
        yield limited.test_client()
    finally:
        limiter.reset()
        limiter.enabled = previous
        with limited.app_context():
            db.engine.dispose()


@pytest.mark.parametrize(
    ("path", "allowed", "data"),
    [
        ("/login", 10, {"email": "nobody@example.org", "password": "wrong password"}),
        ("/register", 5, {"email": "not-an-address", "display_name": "x", "password": "short"}),
        ("/forgot-password", 5, {"email": "not-an-address"}),
    ],
)
def test_too_many_posts_get_the_429_page(limited_client, path, allowed, data):
    for _ in range(allowed):
        assert limited_client.post(path, data=data).status_code != 429
    response = limited_client.post(path, data=data)
    assert response.status_code == 429
    assert "Too many requests" in response.text
    assert limited_client.get(path).status_code == 200  # reading the form is not limited


def test_the_limit_is_per_address(limited_client):
    data = {"email": "nobody@example.org", "password": "wrong password"}
    for _ in range(11):
        limited_client.post("/login", data=data, environ_base={"REMOTE_ADDR": "203.0.113.1"})
    assert (
        limited_client.post("/login", data=data, environ_base={"REMOTE_ADDR": "203.0.113.1"}).status_code
        == 429
    )
    assert (
        limited_client.post("/login", data=data, environ_base={"REMOTE_ADDR": "203.0.113.2"}).status_code
        == 422
    )


# --- hostile input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["email", "display_name", "password"])
@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_register_takes_hostile_input_safely(client, session, field, payload):
    value = payload["payload"]
    data = {"email": "hostile@example.org", "display_name": "Hostile", "password": PASSWORD, field: value}
    response = post_form(client, "/register", data)
    assert response.status_code in (302, 422)
    assert_inert(response.text, value)
    if response.status_code == 422:
        assert 'class="error-summary"' in response.text
        assert user_count(session) == 0
        return
    user = services.get_user_by_email(session, data["email"] if field != "email" else value)
    assert user is not None
    if field == "display_name":
        assert "\x00" not in user.display_name
        signed = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
        assert signed.status_code == 302
        for page in (client.get("/account"), client.get("/")):
            assert page.status_code == 200
            assert_inert(page.text, value)


@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_service_refuses_or_stores_hostile_strings_without_crashing(session, payload):
    """Straight into the service (no HTTP decoding): lone surrogates and NULs reach it as they are."""
    value = payload["payload"]
    for kwargs in (
        {"email": value, "display_name": "Name", "password": PASSWORD},
        {"email": "svc@example.org", "display_name": value, "password": PASSWORD},
        {"email": "svc@example.org", "display_name": "Name", "password": value},
    ):
        with session.begin_nested() as nested:
            try:
                user = services.create_user(session, **kwargs)
            except InputError as error:
                refusal = error.message
            else:
                refusal = None
            if refusal is not None:
                assert refusal.strip()  # a message a person can read
            else:
                session.refresh(user)  # it really went into the database
                assert user.display_name.strip() == user.display_name
            nested.rollback()
    assert services.get_user_by_email(session, value) is None
    with pytest.raises(services.LoginFailed):
        services.authenticate(session, value, value)


@pytest.mark.parametrize("field", ["email", "password"])
@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_login_takes_hostile_input_safely(client, session, field, payload):
    make_user(session, email="target@example.org")
    value = payload["payload"]
    data = {"email": "target@example.org", "password": "wrong password", field: value}
    response = post_form(client, "/login", data)
    assert response.status_code == 422
    assert_inert(response.text, value)
    assert not signed_in(client)


@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_display_name_change_takes_hostile_input_safely(client, session, payload):
    user = make_user(session, display_name="Before")
    login(client, user)
    value = payload["payload"]
    response = post_form(client, "/account/display-name", {"display_name": value})
    assert response.status_code in (302, 422)
    assert_inert(response.text, value)
    session.refresh(user)
    if response.status_code == 422:
        assert user.display_name == "Before"
    page = client.get("/account")
    assert page.status_code == 200
    assert_inert(page.text, value)


@pytest.mark.parametrize(
    "name",
    ["\u202eevil\u202c", "a\x00b", "line\nbreak\x07", "tab\u2066isolate\u2069"],
)
def test_display_names_with_control_or_direction_characters_are_refused(session, name):
    with pytest.raises(InputError) as error:
        services.clean_display_name(name)
    assert error.value.field == "display_name"


def test_display_names_keep_te_reo_and_emoji_exactly(session):
    name = "emoji 🧑🏽\u200d🤝\u200d🧑🏼 and te reo: Māori, whānau"
    assert services.clean_display_name(name) == name


@pytest.mark.parametrize(
    "address",
    [
        "a" * 65 + "@example.org",
        "x@" + "a" * 250 + ".org",
        "a@b",
        "a b@example.org",
        "<a>@example.org",
        "a@exa_mple.org",
    ],
)
def test_unusable_addresses_are_refused(address):
    with pytest.raises(services.AccountError):
        services.clean_email(address)


# --- open redirects -------------------------------------------------------------------------------------------


def assert_local(location: str) -> None:
    parts = urlsplit(location)
    assert parts.scheme in ("", "http"), location
    assert parts.netloc in ("", HOST), location
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location
    assert "\\" not in location
    assert "\t" not in location


@pytest.mark.parametrize("target", REDIRECTS)
def test_sign_in_never_redirects_off_site(client, session, target):
    user = make_user(session)
    response = client.post(
        "/login?" + urlencode({"next": target}), data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert_local(response.headers["Location"])
    # Signed in already: visiting /login?next=... redirects, locally too.
    again = client.get("/login?" + urlencode({"next": target}))
    assert again.status_code == 302
    assert_local(again.headers["Location"])


@pytest.mark.parametrize("target", REDIRECTS)
def test_the_login_form_never_carries_a_foreign_next(client, target):
    page = client.get("/login?" + urlencode({"next": target}))
    assert page.status_code == 200
    action = re.search(r'<form class="stack-form" method="post" action="([^"]+)"', page.text).group(1)
    assert action == "/login"


def test_a_local_next_is_kept(client, session):
    user = make_user(session)
    page = client.get("/login?next=/policies/x")
    assert 'action="/login?next=/policies/x"' in page.text or "next=%2Fpolicies%2Fx" in page.text
    response = client.post("/login?next=/policies/x", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/policies/x"
