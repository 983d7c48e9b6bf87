"""Every error answered in one place: domain errors, HTTP errors, a failed commit, and the unexpected.

Each handler first rolls the request's transaction back, so nothing half-written survives an error. A refused use
case (`DomainError`) is shown as the page the view asked for with `redisplay` (its form again, with the message on
the right field), else as a plain page with the message; API requests get an RFC 9457 problem+json body instead.
The page for an unexpected error never needs the database: it may be the database that failed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.exceptions import ConflictError, DomainError
from app.extensions import db
from app.observability import security_event

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to see this page."),
    404: _l("We could not find that page. It may have moved, or the address may be mistyped."),
    405: _l("That action is not allowed here."),
    409: _l("Someone else changed this at the same time."),
    413: _l("What you sent is too large."),
    429: _l("Too many requests. Please wait a little and try again."),
    500: _l("Something went wrong on our side. It has been logged."),
    503: _l(
        "The site is very busy or being maintained. Nothing you sent was lost: please try again in a minute."
    ),
}
RETRY_AFTER_SECONDS = 30
_REDISPLAY = "korero_redisplay"

Redisplay = Callable[[DomainError], ResponseReturnValue]


def redisplay(render: Redisplay) -> None:
    """Say how this request shows a refused use case: usually its form again, with the error on it.

    Kept in the request's own environ, not in `g`: an app context (and its `g`) can outlive a request (in the
    CLI and the tests), and one request's form must never be shown for another's error.
    """
    request.environ[_REDISPLAY] = render


def put_on_form(form: FlaskForm, error: DomainError) -> None:
    """Attach a domain error to the form field it names, or to the whole form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        form.form_errors.append(error.message)


def wants_problem_json() -> bool:
    """API requests (and clients that ask for JSON) get problem+json rather than a page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/problem+json", "application/json"])
    return best in {"application/problem+json", "application/json"}


def problem(status: int, title: str, body: dict[str, Any] | None = None) -> Response:
    """An RFC 9457 problem details response."""
    payload = {"type": "about:blank", "title": title, "status": status, **(body or {})}
    payload["status"] = status
    payload.setdefault("instance", request.path)
    response = jsonify(payload)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:
        # The connection may be the thing that failed; the page must still answer.
        db.session.remove()


def _page_without_database(message: str, code: int = 503) -> str:
    """The "please try again" page, rendered without context processors.

    Flask-Login's context processor loads the signed-in user for every `render_template`, which is a query;
    when the database is what failed, that query raises inside the handler and the visitor gets no page.
    """
    template = current_app.jinja_env.get_template("errors/unavailable.html")
    return template.render(message=message, code=code, request=request)


def _page(code: int, message: str) -> ResponseReturnValue:
    if request_ctx.url_adapter is None:
        # The request named a host this site does not answer to: no link can be built, so no layout.
        return Response(message, status=code, mimetype="text/plain")
    return render_template("errors/error.html", code=code, message=message, path=request.path), code


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> ResponseReturnValue:
        if error.security_event:
            security_event(error.security_event, reason=type(error).__name__)
        if error.keeps_changes:
            db.session.commit()  # e.g. a failed sign-in is counted even though the sign-in is refused
        else:
            _rollback()
        response = _domain_response(error)
        if error.retry_after is not None:
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    def _domain_response(error: DomainError) -> Response:
        if wants_problem_json():
            return problem(error.status, error.message, error.problem())
        render: Redisplay | None = request.environ.pop(_REDISPLAY, None)
        if render is not None:
            response = app.make_response(render(error))
            if response.status_code < 400:
                response.status_code = error.status
            return response
        return app.make_response(
            (render_template(error.template, error=error, status=error.status), error.status)
        )

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError) -> ResponseReturnValue:
        # Two requests raced to write the same unique thing; the loser is told, and nothing of it is kept.
        _rollback()
        app.logger.info("integrity error on %s: %s", request.path, error.orig)
        return domain_error(ConflictError(str(MESSAGES[409])))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        _rollback()
        code = error.code or 500
        message = str(MESSAGES.get(code, error.description or ""))
        if wants_problem_json():
            response = problem(code, message)
            # RFC 9110: a 405 names the methods that are allowed.
            response.headers.extend([(k, v) for k, v in error.get_headers() if k.lower() == "allow"])
            return response
        return _page(code, message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        _rollback()
        security_event("csrf.refused", reason=str(error.description))
        message = _(
            "Your form expired or was not sent from this site. Go back, reload the page and try again."
        )
        return _page(400, message)

    def unavailable(error: Exception) -> ResponseReturnValue:
        _rollback()
        app.logger.warning("database unavailable on %s: %s", request.path, error)
        if wants_problem_json():
            response = problem(503, str(MESSAGES[503]))
        else:
            response = app.make_response((_page_without_database(str(MESSAGES[503])), 503))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    app.register_error_handler(OperationalError, unavailable)
    app.register_error_handler(PoolTimeoutError, unavailable)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> ResponseReturnValue:
        # Flask calls this for every unhandled exception once PROPAGATE_EXCEPTIONS is off (not in tests).
        _rollback()
        app.logger.error("Unhandled error on %s", request.path, exc_info=error.original_exception)
        if wants_problem_json():
            return problem(500, str(MESSAGES[500]))
        return _page_without_database(str(MESSAGES[500]), code=500), 500
