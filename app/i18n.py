"""Locale selection: ?lang=, then the cookie, then the browser's preference."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, get_locale, ngettext


def select_locale() -> str | None:
    """Pick the UI language for this request."""
    if not has_request_context():  # CLI commands and jobs: messages in the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang") or request.cookies.get("lang")
    if wanted in languages:
        return wanted
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def safe_next(target: str | None, default: str = "/") -> str:
    """Return `target` only if it is a path on this site; anything else goes to `default`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\r\n\t\\") or any(ord(ch) < 32 for ch in target):
        return default
    return target


def init_app(app: Flask) -> None:
    """Expose the locale helpers to templates (Flask-Babel asks `select_locale` once per request)."""
    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale() or "en"),
        format_date=format_date,
        ngettext=ngettext,
    )
