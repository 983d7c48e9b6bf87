"""Signed link tokens: purposes kept apart, expiry, single use by fingerprint. No Flask here."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from app.auth import tokens

SECRET = "unit-test-secret"
ROOT = Path(__file__).resolve().parent.parent.parent


def test_email_token_round_trip():
    token = tokens.make_email_token(SECRET, 7, "a@example.org")
    assert tokens.read_email_token(SECRET, token) == tokens.EmailClaim(7, "a@example.org")


def test_reset_token_round_trip_and_fingerprint():
    fingerprint = tokens.password_fingerprint("$argon2id$hash", "session-token")
    claim = tokens.read_reset_token(SECRET, tokens.make_reset_token(SECRET, 7, fingerprint))
    assert claim == tokens.ResetClaim(7, fingerprint)
    assert tokens.fingerprint_matches(claim, "$argon2id$hash", "session-token")
    assert not tokens.fingerprint_matches(claim, "$argon2id$other", "session-token")
    assert not tokens.fingerprint_matches(claim, "$argon2id$hash", "rotated-token")


def test_fingerprint_never_contains_the_hash():
    assert "argon2" not in tokens.password_fingerprint("$argon2id$hash", "t")


@pytest.mark.parametrize(
    ("maker", "reader", "max_age"),
    [
        (
            lambda now: tokens.make_email_token(SECRET, 1, "a@example.org", now=now),
            tokens.read_email_token,
            tokens.VERIFY_EMAIL_MAX_AGE,
        ),
        (
            lambda now: tokens.make_reset_token(SECRET, 1, "f", now=now),
            tokens.read_reset_token,
            tokens.RESET_PASSWORD_MAX_AGE,
        ),
    ],
)
def test_tokens_expire_exactly_after_their_age(maker, reader, max_age):
    made = 1_700_000_000
    token = maker(made)
    reader(SECRET, token, now=made + max_age)  # still good on the last second
    with pytest.raises(tokens.TokenExpired):
        reader(SECRET, token, now=made + max_age + 1)


def test_default_ages_are_three_days_and_one_hour():
    assert tokens.VERIFY_EMAIL_MAX_AGE == 3 * 24 * 3600
    assert tokens.RESET_PASSWORD_MAX_AGE == 3600
    old = tokens.make_reset_token(SECRET, 1, "f", now=time.time() - 3601)
    with pytest.raises(tokens.TokenExpired):
        tokens.read_reset_token(SECRET, old)


def test_purposes_do_not_mix():
    email_token = tokens.make_email_token(SECRET, 1, "a@example.org")
    reset_token = tokens.make_reset_token(SECRET, 1, "f")
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_reset_token(SECRET, email_token)
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_email_token(SECRET, reset_token)


@pytest.mark.parametrize("token", ["", "x", "a.b.c", "<script>", "\ud800", "é" * 50])
def test_garbage_is_invalid_not_a_crash(token):
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_email_token(SECRET, token)


def test_another_key_is_invalid():
    token = tokens.make_email_token("another-secret", 1, "a@example.org")
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_email_token(SECRET, token)


def test_tokens_module_is_pure():
    tree = ast.parse((ROOT / "app/auth/tokens.py").read_text())
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    # app.exceptions is pure too (no Flask, no database): token errors are domain errors like any other.
    allowed = {"app.exceptions"}
    assert not {
        name
        for name in imported
        if name and name.split(".")[0] in {"flask", "sqlalchemy", "app"} and name not in allowed
    }
