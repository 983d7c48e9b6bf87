"""Account forms. Fields check presence and size; registration also runs the services' own rules, so every
problem shows at once. The services still decide: the views call them, and a refusal is put on its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, ValidationError

from app.auth import services
from app.auth.services import MAX_DISPLAY_NAME_LENGTH, MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH
from app.exceptions import InputError

# Generous caps in the form, so an oversize paste gets a clear message before any work is done; the services
# hold the real limits.
EMAIL_CAP = Length(max=MAX_EMAIL_LENGTH, message=_l("Enter an email address like name@example.org."))
PASSWORD_CAP = Length(max=MAX_PASSWORD_LENGTH, message=_l("Use a password of at most %(max)d characters."))
NAME_CAP = Length(
    max=MAX_DISPLAY_NAME_LENGTH * 4,
    message=_l("Enter a display name of 1 to %(n)d characters.", n=MAX_DISPLAY_NAME_LENGTH),
)


def service_rule(check: Callable[[str], Any]) -> Callable[[Any, Field], None]:
    """Run a service's own check as a field validator, so every field's problem shows at once."""

    def validate(_form: Any, field: Field) -> None:
        try:
            check(field.data or "")
        except InputError as error:
            raise ValidationError(error.message) from None

    return validate


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        filters=[_strip],
        validators=[InputRequired(_l("Enter your email address.")), EMAIL_CAP],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), PASSWORD_CAP],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device for 30 days"))
    submit = SubmitField(_l("Sign in"))


class RegisterForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        filters=[_strip],
        validators=[
            InputRequired(_l("Enter your email address.")),
            service_rule(services.clean_email),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
    )
    display_name = StringField(
        _l("Display name"),
        validators=[
            InputRequired(_l("Enter a display name.")),
            service_rule(services.clean_display_name),
        ],
        render_kw={"autocomplete": "nickname", "maxlength": MAX_DISPLAY_NAME_LENGTH},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(_l("Enter a password.")),
            service_rule(services.validate_password),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create account"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        filters=[_strip],
        validators=[InputRequired(_l("Enter your email address.")), EMAIL_CAP],
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
    )
    submit = SubmitField(_l("Send me a reset link"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Enter a new password.")), PASSWORD_CAP],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set new password"))


class DisplayNameForm(FlaskForm):
    display_name = StringField(
        _l("Display name"),
        validators=[InputRequired(_l("Enter a display name.")), NAME_CAP],
        render_kw={"autocomplete": "nickname", "maxlength": MAX_DISPLAY_NAME_LENGTH},
    )
    submit = SubmitField(_l("Save display name"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password.")), PASSWORD_CAP],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Enter a new password.")), PASSWORD_CAP],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class ButtonForm(FlaskForm):
    """A form that is only a button and its CSRF token (resend the confirmation mail, sign out)."""
