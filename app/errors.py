"""Friendly error pages, one place for every status."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to see this page."),
    404: _l("We could not find that page. It may have moved, or the address may be mistyped."),
    405: _l("That action is not allowed here."),
    409: _l("Someone else changed this at the same time."),
    413: _l("What you sent is too large."),
    429: _l("Too many requests. Please wait a little and try again."),
    500: _l("Something went wrong on our side. It has been logged."),
}


def init_app(app: Flask) -> None:
    """Render every HTTP error with the site's layout."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        message = str(MESSAGES.get(code, error.description or ""))
        return render_template("errors/error.html", code=code, message=message, path=request.path), code

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        message = _(
            "Your form expired or was not sent from this site. Go back, reload the page and try again."
        )
        return render_template("errors/error.html", code=400, message=message, path=request.path), 400

    if app.testing:
        return  # let tests see the real exception

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> tuple[str, int]:
        app.logger.exception("Unhandled error on %s", request.path)
        return render_template(
            "errors/error.html", code=500, message=str(MESSAGES[500]), path=request.path
        ), 500
