"""Account use cases: register, sign in, confirm an email, reset or change a password, roles, demo accounts.

Each function takes the session first, flushes and never commits; problems are raised as domain errors
(`app.exceptions`) whose message is translated and safe to show and whose `field` names the form field it belongs
to, if any. A wrong password is refused with `LoginFailed`, which keeps its changes: the failed attempt is still
counted when the request boundary answers the refusal.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from app.auth import tokens
from app.exceptions import InputError, NotFoundError, PermissionDeniedError
from app.models import LoginThrottle, Role, User, audit
from app.models.base import utcnow
from app.models.users import new_session_token
from app.text import clean_text

# ASCII addresses only: SMTP without SMTPUTF8 cannot carry others, and a narrow alphabet keeps markup, control
# characters and header tricks out. At most 254 characters (RFC 5321's path limit), so it fits the column.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
    r"@(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$"
)
MAX_EMAIL_LENGTH = 254
MAX_DISPLAY_NAME_LENGTH = 80
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_FAILED_LOGINS = 5
LOCK_PERIOD = dt.timedelta(minutes=15)
DEMO_PASSWORD = "korero-demo-2019"  # noqa: S105 - demo accounts exist only in development

password_hasher = PasswordHasher()


class AccountError(InputError):
    """An address, name, password or role that cannot be used; `field` names the form field."""

    code = "invalid-account-input"


class LoginFailed(AccountError):
    """Unknown email, wrong password or a locked account: one answer for all three, so none is revealed.

    The refusal keeps what the attempt wrote: a wrong password is counted towards locking the account.
    """

    code = "login-failed"
    keeps_changes = True
    security_event = "auth.sign_in_failed"


class AccountSuspended(PermissionDeniedError):
    """The right password for a suspended account."""

    code = "account-suspended"
    security_event = "auth.suspended_sign_in"


class NoSuchAccountError(NotFoundError):
    """No account has the address an administrator named."""

    code = "no-such-account"


class LinkError(tokens.TokenError):
    """A confirmation or reset link that cannot be used (expired, altered, already used), said in words.

    Shown on its own page, which offers a new link for the link's `purpose` ("confirm" or "reset").
    """

    template: ClassVar[str] = "auth/link_problem.html"
    security_event: ClassVar[str | None] = "auth.bad_link"

    def __init__(self, message: str, purpose: str, expired: bool = False) -> None:
        super().__init__(message)
        self.purpose = purpose
        self.expired = expired


# --- passwords ----------------------------------------------------------------------------------------------


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return password_hasher.hash(password)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check against when there is no account, so a miss takes as long as a wrong password."""
    return hash_password("korero: no account has this password")


def verify_password(user: User | None, password: str) -> bool:
    """Check a password (against a dummy hash when `user` is None); rehash in place when parameters changed."""
    stored = user.password_hash if user is not None else _dummy_hash()
    if not _encodable(password):  # a lone surrogate cannot be anyone's password; spend the same time anyway
        password, user = "\ufffd", None
    try:
        password_hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


# Words a guesser tries first on this site: its name and purpose (ASVS 5.0 6.1.2). The person's own address and
# name are added per call.
CONTEXT_WORDS = ("korero", "kōrero", "consultation", "submission", "policy", "aotearoa", "government")


def _guessable(password: str, context: tuple[str, ...]) -> bool:
    """Whether a password is among the most common ones, or made of this site's words and the person's own.

    zxcvbn ranks a password against 30,000 common passwords, English words and names, keyboard patterns, dates
    and the `context` words; a score below 3 means fewer than about 10⁸ guesses would find it. It takes at most
    72 characters, so a longer password is judged by its first 72, which is already plenty.
    """
    words = [w for w in (*CONTEXT_WORDS, *context) if w]
    return bool(zxcvbn(password[:72], user_inputs=words)["score"] < 3)


def validate_password(password: str, field: str = "password", context: tuple[str, ...] = ()) -> None:
    """Refuse passwords too short, too long, easy to guess, or holding characters that cannot be stored."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Use a password of at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_("Use a password of at most %(n)d characters.", n=MAX_PASSWORD_LENGTH), field)
    if not _encodable(password) or "\x00" in password:
        raise AccountError(
            _("Your password holds a character we cannot store. Please choose another."), field
        )
    if _guessable(password, context):
        raise AccountError(
            _(
                "That password is one of the first a guesser would try. Try a few unrelated words "
                "together, or let your browser's password manager make one."
            ),
            field,
        )


def _context(email: str, display_name: str) -> tuple[str, ...]:
    """The person's own words a guesser would try: the parts of their address and their name."""
    return (*re.split(r"[@.+_-]+", email), *display_name.split())


# --- names and addresses -------------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def clean_email(email: str) -> str:
    """Return the normalised address, or raise AccountError for one we cannot use."""
    email = normalise_email(email)
    if not email:
        raise AccountError(_("Enter your email address."), "email")
    if len(email) > MAX_EMAIL_LENGTH or not EMAIL_RE.match(email):
        raise AccountError(_("Enter an email address like name@example.org."), "email")
    return email


def clean_display_name(display_name: str) -> str:
    """Return the name in NFC on one line with runs of spaces collapsed, or raise `app.text.TextError`.

    Names are shown beside people's words, so besides control characters they may hold no direction overrides,
    private-use or unassigned characters, which could disguise what is written.
    """
    return clean_text(
        unicodedata.normalize("NFC", display_name),
        _("a display name"),
        MAX_DISPLAY_NAME_LENGTH,
        field="display_name",
        multiline=False,
        name=True,
    )


def clean_role(role: str) -> str:
    roles = [r.value for r in Role]
    if role not in roles:
        raise AccountError(
            _("Unknown role '%(role)s'. Choose one of: %(roles)s.", role=role, roles=", ".join(roles)), "role"
        )
    return role


def get_user_by_email(session: Session, email: str) -> User | None:
    """Find an account by address, case-insensitively; None for anything that cannot be an address."""
    email = normalise_email(email)
    if not email or len(email) > MAX_EMAIL_LENGTH or not EMAIL_RE.match(email):
        return None
    return session.scalar(select(User).where(func.lower(User.email) == email))


def get_user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


# --- creating accounts ---------------------------------------------------------------------------------------


def create_user(
    session: Session,
    email: str,
    display_name: str,
    password: str,
    role: str = Role.COMMENTER.value,
    verified: bool = False,
) -> User:
    """Create an account; raise an InputError for a bad email, name, password, role or a taken email."""
    email = clean_email(email)
    display_name = clean_display_name(display_name)
    role = clean_role(role)
    validate_password(password, context=_context(email, display_name))
    if get_user_by_email(session, email) is not None:
        raise AccountError(_("An account with that email address already exists."), "email")
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


@dataclass(frozen=True)
class Registration:
    """What registering did: a new account, or (when the address was taken) the existing owner to warn."""

    user: User
    created: bool


def register(session: Session, email: str, display_name: str, password: str) -> Registration:
    """Register a commenter; for an address already in use, change nothing and return its owner.

    The caller answers both cases the same way ("check your email") so the form never reveals who has an
    account; the mail differs. Validation errors are still raised for the form.
    """
    email = clean_email(email)
    display_name = clean_display_name(display_name)
    validate_password(password, context=_context(email, display_name))
    existing = get_user_by_email(session, email)
    if existing is not None:
        hash_password(password)  # the same work as a new account, so timing does not tell either
        return Registration(existing, created=False)
    user = create_user(session, email, display_name, password)
    audit(session, user, "user.register", "user", user.id)
    return Registration(user, created=True)


# --- signing in ----------------------------------------------------------------------------------------------


def source_digest(secret_key: str, address: str | None) -> str:
    """A keyed digest of where a sign-in came from: enough to tell sources apart, never the address itself."""
    raw = (address or "unknown").encode("utf-8", "replace")
    return hmac.new(secret_key.encode(), b"korero.login-source\x00" + raw, hashlib.sha256).hexdigest()[:32]


def _throttle(session: Session, user: User, source: str) -> LoginThrottle | None:
    return session.scalar(
        select(LoginThrottle).where(LoginThrottle.user_id == user.id, LoginThrottle.source == source)
    )


def is_locked(session: Session, user: User, source: str, now: dt.datetime) -> bool:
    """Whether sign-in to `user` from `source` is paused (another source is never locked by this one)."""
    throttle = _throttle(session, user, source)
    return throttle is not None and throttle.locked_until is not None and throttle.locked_until > now


def authenticate(session: Session, email: str, password: str, source: str = "unknown") -> User:
    """Check a sign-in; raise LoginFailed (unknown, wrong or locked, all alike) or AccountSuspended.

    Five wrong passwords in a row from one source lock that account for that source for LOCK_PERIOD; while
    locked even the right password is refused there, with the same message. Other sources are not affected,
    and the reset link (`reset_password`) lifts every lock, so a stranger cannot keep the owner out.
    """
    now = utcnow()
    user = get_user_by_email(session, email)
    correct = verify_password(user, password)  # always hash, so every path takes about as long
    failed = LoginFailed(_("Email or password is not right."))
    if user is None:
        raise failed
    if is_locked(session, user, source, now):
        raise failed
    if not correct:
        _record_failure(session, user, source, now)
        raise failed
    if user.suspended_at is not None:
        raise AccountSuspended(_("This account has been suspended, so it cannot sign in."))
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.user_id == user.id, LoginThrottle.source == source)
    )
    session.flush()
    return user


def _record_failure(session: Session, user: User, source: str, now: dt.datetime) -> None:
    throttle = _throttle(session, user, source)
    if throttle is None:
        # Two first failures at the same moment: the loser of the unique constraint counts on the winner's row.
        try:
            with session.begin_nested():
                throttle = LoginThrottle(user_id=user.id, source=source, failures=0, updated_at=now)
                session.add(throttle)
        except IntegrityError:
            throttle = session.scalars(
                select(LoginThrottle).where(LoginThrottle.user_id == user.id, LoginThrottle.source == source)
            ).one()
    if throttle.locked_until is not None:  # an earlier lock has run out: start counting afresh
        throttle.locked_until = None
        throttle.failures = 0
        session.flush()
    # Count in SQL, so two wrong guesses at the same moment both count.
    throttle.failures = LoginThrottle.failures + 1
    throttle.updated_at = now
    session.flush()
    session.refresh(throttle, ["failures"])
    if throttle.failures >= MAX_FAILED_LOGINS:
        throttle.locked_until = now + LOCK_PERIOD
        throttle.failures = 0
        audit(session, None, "user.lock", "user", user.id, "repeated failed sign-ins from one source")
    session.flush()


def login_throttles(session: Session, user: User) -> list[LoginThrottle]:
    """Every source's count of wrong passwords for `user` (privacy export, tests)."""
    return list(
        session.scalars(
            select(LoginThrottle).where(LoginThrottle.user_id == user.id).order_by(LoginThrottle.id)
        )
    )


def end_all_sessions(session: Session, user: User) -> None:
    """Rotate the session token: every session and remember-me cookie of the account stops working."""
    user.session_token = new_session_token()
    session.flush()


# --- confirming an email, resetting a password ---------------------------------------------------------------


def email_token(secret_key: str, user: User) -> str:
    return tokens.make_email_token(secret_key, user.id, user.email)


def reset_token(secret_key: str, user: User) -> str:
    fingerprint = tokens.password_fingerprint(user.password_hash, user.session_token)
    return tokens.make_reset_token(secret_key, user.id, fingerprint)


def _link_error(error: tokens.TokenError, purpose: str) -> LinkError:
    if isinstance(error, tokens.TokenExpired):
        return LinkError(_("This link has expired."), purpose, expired=True)
    return LinkError(
        _("This link is not valid. It may have been used already or copied only in part."), purpose
    )


def confirm_email(session: Session, secret_key: str, token: str) -> User:
    """Mark the address in `token` confirmed; raise LinkError for an expired, altered or outdated link."""
    try:
        claim = tokens.read_email_token(secret_key, token)
    except tokens.TokenError as error:
        raise _link_error(error, "confirm") from None
    user = get_user_by_id(session, claim.user_id)
    if user is None or user.email != claim.email:
        raise _link_error(tokens.TokenInvalid("outdated"), "confirm")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        session.flush()
    return user


def user_for_reset(session: Session, secret_key: str, token: str) -> User:
    """Return the account a reset link is for, if the link is genuine, fresh and unused; else LinkError."""
    try:
        claim = tokens.read_reset_token(secret_key, token)
    except tokens.TokenError as error:
        raise _link_error(error, "reset") from None
    user = get_user_by_id(session, claim.user_id)
    if user is None or not tokens.fingerprint_matches(claim, user.password_hash, user.session_token):
        raise _link_error(tokens.TokenInvalid("used"), "reset")
    return user


def reset_password(session: Session, secret_key: str, token: str, new_password: str) -> User:
    """Set a new password through a reset link, once; end every session, lift a lock, confirm the address."""
    user = user_for_reset(session, secret_key, token)
    validate_password(new_password, context=_context(user.email, user.display_name))
    user.password_hash = hash_password(new_password)
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.user_id == user.id)
    )  # every source may try again
    if user.email_verified_at is None:  # the link reached the inbox, which proves the address
        user.email_verified_at = utcnow()
    end_all_sessions(session, user)
    audit(session, user, "user.reset_password", "user", user.id)
    return user


# --- the account page ----------------------------------------------------------------------------------------


def change_password(session: Session, user: User, current_password: str, new_password: str) -> None:
    """Change a password, given the current one; end every other session (the caller signs this one in again)."""
    if not verify_password(user, current_password):
        raise AccountError(_("Your current password is not right."), "current_password")
    validate_password(new_password, "new_password", _context(user.email, user.display_name))
    user.password_hash = hash_password(new_password)
    end_all_sessions(session, user)
    audit(session, user, "user.change_password", "user", user.id)


def change_display_name(session: Session, user: User, display_name: str) -> None:
    """Rename the account; the new name shows on its comments."""
    user.display_name = clean_display_name(display_name)
    session.flush()


# --- administration ------------------------------------------------------------------------------------------


def _require_user(session: Session, email: str) -> User:
    user = get_user_by_email(session, email)
    if user is None:
        raise NoSuchAccountError(_("No account has the email address '%(email)s'.", email=email), "email")
    return user


def set_role(session: Session, email: str, role: str, actor: User | None = None) -> User:
    """Give an account a role."""
    role = clean_role(role)
    user = _require_user(session, email)
    previous = user.role
    user.role = role
    audit(session, actor, "user.set_role", "user", user.id, previous=previous, role=role)
    session.flush()
    return user


def suspend(session: Session, email: str, reason: str = "", actor: User | None = None) -> User:
    """Suspend an account: it cannot sign in and every session ends."""
    user = _require_user(session, email)
    user.suspended_at = utcnow()
    user.suspended_reason = reason[:500] or None
    end_all_sessions(session, user)
    audit(session, actor, "user.suspend", "user", user.id, reason)
    return user


def unsuspend(session: Session, email: str, actor: User | None = None) -> User:
    """Lift a suspension."""
    user = _require_user(session, email)
    user.suspended_at = None
    user.suspended_reason = None
    audit(session, actor, "user.unsuspend", "user", user.id)
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
