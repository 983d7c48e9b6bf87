"""Account use cases: create users, check passwords, demo accounts."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Role, User
from app.models.base import utcnow

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
DEMO_PASSWORD = "korero-demo-2019"  # noqa: S105 - demo accounts exist only in development

password_hasher = PasswordHasher()


class AccountError(ValueError):
    """An account operation that cannot be done; the message is safe to show."""


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return password_hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check a password; rehash in place when argon2's parameters have changed."""
    try:
        password_hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def normalise_email(email: str) -> str:
    return email.strip().lower()


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"Use a password of at most {MAX_PASSWORD_LENGTH} characters.")


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(
    session: Session,
    email: str,
    display_name: str,
    password: str,
    role: str = Role.COMMENTER.value,
    verified: bool = False,
) -> User:
    """Create an account; raise AccountError for a bad email, name, password, role or a taken email."""
    email = normalise_email(email)
    display_name = " ".join(display_name.split())
    if not EMAIL_RE.match(email):
        raise AccountError("Enter an email address like name@example.org.")
    if not display_name or len(display_name) > 80:
        raise AccountError("Enter a display name of 1 to 80 characters.")
    if role not in {r.value for r in Role}:
        raise AccountError(f"Unknown role '{role}'.")
    validate_password(password)
    if get_user_by_email(session, email) is not None:
        raise AccountError("An account with that email address already exists.")
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.flush()
    return user


def ensure_demo_accounts(session: Session) -> list[tuple[str, str, str]]:
    """Create one verified demo account per role (if missing); return (role, email, password)."""
    accounts = []
    for role in Role:
        email = f"{role.value}@demo.korero.test"
        if get_user_by_email(session, email) is None:
            create_user(session, email, f"Demo {role.value}", DEMO_PASSWORD, role.value, verified=True)
        accounts.append((role.value, email, DEMO_PASSWORD))
    return accounts
